package io.nbsecrets.ops;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shipped logback.xml: text by default, one JSON object per line with
 * NBSECRETS_LOG_FORMAT=json.
 */
class LogFormatTest {

  private static String logWith(String format) throws Exception {
    return logWith(format, "took a snapshot of {} secrets", 2);
  }

  private static String logWith(String format, String message, Object... args) throws Exception {
    URL config = LogFormatTest.class.getClassLoader().getResource("logback.xml");
    assertThat(config).as("the shipped logback.xml").isNotNull();
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    try {
      if (format != null) {
        context.putProperty("NBSECRETS_LOG_FORMAT", format);
      }
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(config);
      context.getMDCAdapter().put("session", "alice/notebook");
      context.getLogger("io.nbsecrets.operator.X").info(message, args);
    } finally {
      context.stop();
      System.setErr(saved);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  @Test
  void textByDefault() throws Exception {
    String out = logWith(null);
    assertThat(out).contains("INFO").contains("alice/notebook - took a snapshot of 2 secrets");
  }

  /** Control characters a logged name could carry (a user name, say) cannot forge a line. */
  @Test
  void aLoggedNameCannotForgeATextLine() throws Exception {
    String out =
        logWith(
            null,
            "request of {} refused",
            "mallory\r\n12:00:00.000 INFO  [main] i.n.a.ApiServer - admin logged in\u2028\u0085x");
    assertThat(out.lines()).as(out).hasSize(1);
    assertThat(out)
        .contains(
            "request of mallory??12:00:00.000 INFO  [main] i.n.a.ApiServer - admin logged in??x"
                + " refused");
  }

  @Test
  void jsonOnRequest() throws Exception {
    String out = logWith("json");
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        lines.add(new ObjectMapper().readTree(line));
      }
    }
    assertThat(lines).hasSize(1);
    JsonNode line = lines.get(0);
    assertThat(line.get("level").asText()).isEqualTo("INFO");
    assertThat(line.get("formattedMessage").asText()).isEqualTo("took a snapshot of 2 secrets");
    assertThat(line.get("mdc").get("session").asText()).isEqualTo("alice/notebook");
  }
}
