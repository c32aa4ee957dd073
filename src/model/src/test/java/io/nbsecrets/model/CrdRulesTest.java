package io.nbsecrets.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CRD's validation, as the API server would apply it: the rules are read from the committed CRD
 * and evaluated with a real CEL engine, and must agree with the rules the operator enforces itself
 * ({@link MountPaths}, {@link SecretNames}). The mock API server enforces neither.
 */
class CrdRulesTest {
  private static JsonNode spec;
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

  @BeforeAll
  static void load() throws Exception {
    JsonNode crd =
        new ObjectMapper(new YAMLFactory())
            .readTree(Path.of("crds/notebooksessions.nbsecrets.io-v1.yml").toFile());
    JsonNode version = crd.at("/spec/versions/0");
    assertThat(version.at("/subresources/status").isObject()).isTrue();
    spec = version.at("/schema/openAPIV3Schema/properties/spec");
  }

  private static List<String> rules(JsonNode field) {
    List<String> out = new ArrayList<>();
    field.path("x-kubernetes-validations").forEach(r -> out.add(r.get("rule").asText()));
    return out;
  }

  private static boolean eval(String rule, Map<String, Object> vars) throws Exception {
    var builder =
        CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS);
    for (String name : vars.keySet()) {
      builder.addVar(name, SimpleType.STRING);
    }
    CelCompiler compiler = builder.build();
    var ast = compiler.compile(rule).getAst();
    return (Boolean) RUNTIME.createProgram(ast).eval(vars);
  }

  @Test
  void userIsRequiredAndImmutable() throws Exception {
    assertThat(spec.at("/required").toString()).contains("user").contains("image");
    List<String> rules = rules(spec.at("/properties/user"));
    assertThat(rules).containsExactly("self == oldSelf");
    assertThat(eval(rules.get(0), Map.of("self", "alice", "oldSelf", "alice"))).isTrue();
    assertThat(eval(rules.get(0), Map.of("self", "bob", "oldSelf", "alice"))).isFalse();
  }

  @Test
  void mountPathRuleAgreesWithTheOperator() throws Exception {
    JsonNode field = spec.at("/properties/secrets/properties/mountPath");
    List<String> rules = rules(field);
    assertThat(rules).hasSize(1);
    assertThat(field.get("maxLength").asInt()).isEqualTo(255);
    List<String> paths =
        List.of(
            "/secrets",
            "/home/jovyan/.secrets",
            "/mnt/x",
            "/variable",
            "/etcetera",
            "/",
            "/etc",
            "/etc/x",
            "/usr/local/s",
            "/var",
            "/var/run/secrets",
            "/proc",
            "/sys/x",
            "/root",
            "/run",
            "relative",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/a/",
            "/a/.",
            "/a/..",
            "/lib64/x",
            "/boot",
            "/tmp",
            "/tmp/secrets");
    for (String path : paths) {
      boolean cel = eval(rules.get(0), Map.of("self", path));
      assertThat(cel)
          .as("CEL rule vs MountPaths for %s", path)
          .isEqualTo(MountPaths.problem(path).isEmpty());
    }
  }

  @Test
  void secretNameRulesAgreeWithTheOperator() throws Exception {
    JsonNode name = spec.at("/properties/secrets/properties/items/items/properties/name");
    Pattern pattern = Pattern.compile(name.get("pattern").asText());
    List<String> rules = rules(name);
    assertThat(rules).hasSize(1);
    for (String candidate :
        List.of(
            "API_KEY",
            "a.b-c_d",
            ".",
            "..",
            "a/b",
            "",
            "x".repeat(128),
            "x".repeat(129),
            "é",
            "key\n",
            "a b",
            "A+B",
            "~x",
            "Z9",
            "\u0130")) {
      boolean schema =
          pattern.matcher(candidate).matches() && eval(rules.get(0), Map.of("self", candidate));
      assertThat(schema)
          .as("schema vs SecretNames for '%s'", candidate)
          .isEqualTo(SecretNames.isValid(candidate));
    }
    assertThat(spec.at("/properties/secrets/properties/items/items/required").toString())
        .contains("name");
    assertThat(spec.at("/properties/secrets/properties/items/maxItems").asInt()).isEqualTo(1000);
  }

  @Test
  void noDefaultsAnywhereInTheSchema() {
    // Defaults would be written back into spec by the API server: endless GitOps diffs.
    assertThat(spec.toString()).doesNotContain("\"default\"");
  }
}
