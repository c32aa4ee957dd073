package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The product's text log (its own logback.xml): one line per event, whatever a message holds. */
class LogFormatTest {
  @Test
  void aLoggedNameCannotForgeALine() throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      configurator.doConfigure(Main.class.getResource("/logback.xml"));
      context
          .getLogger("io.nbsecrets.api.Callers")
          .warn(
              "request of {} refused",
              "mallory\r\n12:00:00.000 INFO  [main] i.n.a.ApiServer - admin logged in\u2028\u0085x");
    } finally {
      context.stop();
      System.setErr(err);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertThat(out.lines()).as(out).hasSize(1);
    assertThat(out)
        .contains("WARN ")
        .contains(
            "request of mallory??12:00:00.000 INFO  [main] i.n.a.ApiServer - admin logged in??x"
                + " refused");
  }
}
