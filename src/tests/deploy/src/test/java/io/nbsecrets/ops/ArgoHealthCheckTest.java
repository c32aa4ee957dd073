package io.nbsecrets.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Argo CD health check for NotebookSession ({@code health.lua}) in a real Lua 5.1
 * interpreter (Argo CD embeds gopher-lua, a Lua 5.1 implementation) against every case of its
 * {@code health_test.yaml}, the file Argo CD's own test harness reads.
 *
 * <p>Without {@code lua5.1} on the PATH the cases are skipped, except in CI ({@code CI=true}),
 * where they fail.
 */
class ArgoHealthCheckTest {
  static final Path DIR =
      Path.of("operator/argocd/resource_customizations/nbsecrets.io/NotebookSession");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final Set<String> STATUSES =
      Set.of("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown");

  @TempDir Path tmp;

  record Case(String inputPath, String status, String message) {}

  static List<Case> cases() throws IOException {
    JsonNode root = YAML.readTree(DIR.resolve("health_test.yaml").toFile());
    List<Case> cases = new ArrayList<>();
    for (JsonNode test : root.path("tests")) {
      cases.add(
          new Case(
              test.path("inputPath").asText(),
              test.path("healthStatus").path("status").asText(),
              test.path("healthStatus").path("message").asText()));
    }
    return cases;
  }

  @Test
  void testCasesCoverEveryTestdataFileAndTheRequiredSituations() throws IOException {
    List<Case> cases = cases();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(8);
    Set<String> referenced = cases.stream().map(Case::inputPath).collect(Collectors.toSet());
    Set<String> present;
    try (Stream<Path> files = Files.list(DIR.resolve("testdata"))) {
      present =
          files
              .map(p -> "testdata/" + p.getFileName())
              .collect(Collectors.toCollection(TreeSet::new));
    }
    assertThat(referenced).containsExactlyInAnyOrderElementsOf(present);
    assertThat(cases).allSatisfy(c -> assertThat(STATUSES).contains(c.status()));
    assertThat(cases.stream().map(Case::status).collect(Collectors.toSet()))
        .contains("Healthy", "Progressing", "Degraded");
    // Every test input is a NotebookSession of the CRD's group and version.
    for (Case c : cases) {
      JsonNode obj = YAML.readTree(DIR.resolve(c.inputPath()).toFile());
      assertThat(obj.path("apiVersion").asText())
          .as(c.inputPath())
          .isEqualTo("nbsecrets.io/v1alpha1");
      assertThat(obj.path("kind").asText()).as(c.inputPath()).isEqualTo("NotebookSession");
    }
  }

  @TestFactory
  Stream<DynamicTest> healthCheckGivesTheExpectedStatusAndMessage() throws IOException {
    Path lua = luaInterpreter();
    String check = Files.readString(DIR.resolve("health.lua"), StandardCharsets.UTF_8);
    return cases().stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.inputPath() + " -> " + c.status(),
                    () -> {
                      JsonNode obj = YAML.readTree(DIR.resolve(c.inputPath()).toFile());
                      String[] result = run(lua, check, obj);
                      assertThat(result[0]).as("status of " + c.inputPath()).isEqualTo(c.status());
                      assertThat(result[1])
                          .as("message of " + c.inputPath())
                          .isEqualTo(c.message());
                    }));
  }

  @Test
  void converterWritesLuaLiteralsThatLuaReadsBack() throws Exception {
    Path lua = luaInterpreter();
    JsonNode obj =
        YAML.readTree(
            "a: \"quote \\\" backslash \\\\ newline \\n tab \\t é ]] end\"\n"
                + "n: 3\nf: 1.5\nb: true\nnull_value: null\nlist: [x, 2]\nempty: {}\n");
    String script =
        "obj = "
            + toLua(obj)
            + "\nio.write(obj.a, \"|\", obj.n + 1, \"|\", obj.f * 2, \"|\", tostring(obj.b),"
            + " \"|\", tostring(obj.null_value), \"|\", obj.list[1], obj.list[2], \"|\","
            + " tostring(next(obj.empty)))";
    assertThat(execute(lua, script))
        .isEqualTo("quote \" backslash \\ newline \n tab \t é ]] end|4|3|true|nil|x2|nil");
  }

  /** Runs the health check with {@code obj} defined, as Argo CD does; returns status, message. */
  String[] run(Path lua, String check, JsonNode obj) throws IOException, InterruptedException {
    String script =
        "obj = "
            + toLua(obj)
            + "\nlocal function health()\n"
            + check
            + "\nend\n"
            + "local hs = health()\n"
            + "io.write(tostring(hs.status), \"\\n\", tostring(hs.message))\n";
    String out = execute(lua, script);
    int nl = out.indexOf('\n');
    assertThat(nl).as("interpreter output: " + out).isPositive();
    return new String[] {out.substring(0, nl), out.substring(nl + 1)};
  }

  String execute(Path lua, String script) throws IOException, InterruptedException {
    Path file = Files.createTempFile(tmp, "case", ".lua");
    Files.writeString(file, script, StandardCharsets.UTF_8);
    Process p =
        new ProcessBuilder(lua.toString(), file.toString())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("lua5.1 did not finish");
    }
    String text = new String(output, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("lua5.1 exit status; output: " + text).isZero();
    return text;
  }

  /** A Lua table constructor for a YAML/JSON tree; strings as byte-exact escaped literals. */
  static String toLua(JsonNode node) {
    StringBuilder out = new StringBuilder();
    appendLua(node, out);
    return out.toString();
  }

  private static void appendLua(JsonNode node, StringBuilder out) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      out.append("nil");
    } else if (node.isObject()) {
      out.append('{');
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        out.append('[');
        appendString(field.getKey(), out);
        out.append("]=");
        appendLua(field.getValue(), out);
        out.append(',');
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('{');
      for (JsonNode element : node) {
        appendLua(element, out);
        out.append(',');
      }
      out.append('}');
    } else if (node.isBoolean()) {
      out.append(node.booleanValue());
    } else if (node.isIntegralNumber()) {
      out.append(node.bigIntegerValue());
    } else if (node.isNumber()) {
      out.append(node.doubleValue());
    } else {
      appendString(node.asText(), out);
    }
  }

  private static void appendString(String value, StringBuilder out) {
    out.append('"');
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c == '"' || c == '\\') {
        out.append('\\').append((char) c);
      } else if (c >= 0x20 && c < 0x7f) {
        out.append((char) c);
      } else {
        // Lua 5.1 decimal escape, three digits so a following digit is not swallowed.
        out.append('\\').append(String.format("%03d", c));
      }
    }
    out.append('"');
  }

  static Path luaInterpreter() {
    Optional<Path> found =
        Stream.of(Optional.ofNullable(System.getenv("PATH")).orElse("").split(File.pathSeparator))
            .filter(d -> !d.isEmpty())
            .map(d -> Path.of(d, "lua5.1"))
            .filter(Files::isExecutable)
            .findFirst();
    if (found.isEmpty()) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("lua5.1 is required in CI (apt-get install -y lua5.1)");
      }
      Assumptions.assumeTrue(false, "lua5.1 is not installed (apt-get install -y lua5.1)");
    }
    return found.get();
  }
}
