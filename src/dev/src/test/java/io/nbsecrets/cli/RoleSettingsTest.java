package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nbsecrets.api.ApiConfig;
import io.nbsecrets.config.NbsecretsSettings;
import io.nbsecrets.config.Settings;
import io.nbsecrets.config.SettingsException;
import io.nbsecrets.dev.DevCommand;
import io.nbsecrets.operator.OperatorRole;
import io.nbsecrets.rotation.RotationOptions;
import io.nbsecrets.tls.ServerTls;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every role reads a setting by its one name, with one precedence rule. */
class RoleSettingsTest {
  @TempDir Path dir;

  private static OperatorCommand operator(String... args) {
    OperatorCommand cmd = new OperatorCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd;
  }

  private static ApiCommand api(String... args) {
    ApiCommand cmd = new ApiCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd;
  }

  private static RotateKeysCommand rotateKeys(String... args) {
    RotateKeysCommand cmd = new RotateKeysCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd;
  }

  private static String operatorAudience(Map<String, String> env, String... args) {
    OperatorCommand cmd = operator(args);
    return cmd.config(cmd.store.settings(cmd.spec, env)).podTokenAudience();
  }

  private static String apiAudience(Map<String, String> env, String... args) {
    ApiCommand cmd = api(args);
    return ApiCommand.apiConfig(cmd.store.settings(cmd.spec, env)).podTokenAudience();
  }

  @Test
  void operatorAndApiReadTheSameAudienceFromEveryLayer() throws Exception {
    assertThat(operatorAudience(Map.of())).isEqualTo("nbsecrets");
    assertThat(apiAudience(Map.of())).isEqualTo("nbsecrets");

    Path file = dir.resolve("settings.yaml");
    Files.writeString(file, "api:\n  podTokenAudience: from-file\n");
    assertThat(operatorAudience(Map.of(), "--config", file.toString())).isEqualTo("from-file");
    assertThat(apiAudience(Map.of(), "--config", file.toString())).isEqualTo("from-file");

    for (String variable :
        List.of("NBSECRETS_API_PODTOKENAUDIENCE", "NBSECRETS_POD_TOKEN_AUDIENCE")) {
      Map<String, String> env = Map.of(variable, "from-env");
      assertThat(operatorAudience(env, "--config", file.toString()))
          .as(variable)
          .isEqualTo("from-env");
      assertThat(apiAudience(env, "--config", file.toString())).as(variable).isEqualTo("from-env");
    }

    Map<String, String> env = Map.of("NBSECRETS_POD_TOKEN_AUDIENCE", "from-env");
    assertThat(operatorAudience(env, "--pod-token-audience=from-flag")).isEqualTo("from-flag");
    assertThat(apiAudience(env, "--pod-token-audience=from-flag")).isEqualTo("from-flag");
    assertThat(apiAudience(env, "--set", "api.podTokenAudience=from-set")).isEqualTo("from-set");
  }

  @Test
  void theChartsOperatorFlagsKeepTheirMeaning() {
    OperatorCommand cmd =
        operator(
            "--namespace=nbs",
            "--watch-namespaces=a,b",
            "--api-url=http://api:8080",
            "--insecure-api-http",
            "--api-ca-configmap=",
            "--pod-token-audience=aud",
            "--init-image=img:1",
            "--session-uid=1001",
            "--session-gid=101",
            "--key-algorithm=rsa-2048",
            "--management-port=9090",
            "--leader-election",
            "--session-key-file=/k/a.pem");
    Settings settings = cmd.store.settings(cmd.spec, Map.of());
    OperatorRole.Config c = cmd.config(settings);
    assertThat(c)
        .isEqualTo(
            new OperatorRole.Config(
                "nbs",
                List.of("a", "b"),
                "http://api:8080",
                "img:1",
                "aud",
                1001,
                101,
                List.of(Path.of("/k/a.pem")),
                io.nbsecrets.crypto.SessionKeyAlgorithm.RSA_2048,
                true,
                "",
                true));
    assertThat(settings.get(NbsecretsSettings.OPERATOR_MANAGEMENT_PORT)).isEqualTo(9090);
    assertThat(settings.origin("operator.managementPort")).isEqualTo("--management-port");
  }

  @Test
  void theOperatorsOlderEnvironmentVariablesStillWork() {
    OperatorCommand cmd = operator();
    OperatorRole.Config c =
        cmd.config(
            cmd.store.settings(
                cmd.spec,
                Map.of(
                    "NBSECRETS_WATCH_NAMESPACES", "x,,y",
                    "NBSECRETS_API_URL", "https://api.example:8443",
                    "NBSECRETS_API_CA_CONFIGMAP", "bundle",
                    "NBSECRETS_INIT_IMAGE", "img:2")));
    assertThat(c.watchNamespaces()).containsExactly("x", "y");
    assertThat(c.apiUrl()).isEqualTo("https://api.example:8443");
    assertThat(c.apiCaConfigMap()).isEqualTo("bundle");
    assertThat(c.initImage()).isEqualTo("img:2");
    OperatorRole.Config defaults = cmd.config(cmd.store.settings(cmd.spec, Map.of()));
    assertThat(defaults.watchNamespaces()).isEmpty();
    assertThat(defaults.apiCaConfigMap()).isEqualTo("nbsecrets-api-ca-bundle");
    assertThat(defaults.keyAlgorithm().id()).isEqualTo("mlkem768-x25519");
    assertThat(defaults.sessionUid()).isEqualTo(1000);
    assertThat(defaults.leaderElection()).isFalse();
  }

  @Test
  void theApisFlagsAndTheirSettings() {
    ApiCommand cmd =
        api(
            "--port=9443",
            "--max-value-bytes=10000",
            "--max-secrets-per-user=5",
            "--username-prefix=oidc:");
    Settings settings = cmd.store.settings(cmd.spec, Map.of("NBSECRETS_API_PORT", "7443"));
    ApiConfig c = ApiCommand.apiConfig(settings);
    assertThat(c.maxValueBytes()).isEqualTo(10000);
    assertThat(c.maxSecretsPerUser()).isEqualTo(5);
    assertThat(c.usernamePrefixToStrip()).isEqualTo("oidc:");
    assertThat(settings.get(NbsecretsSettings.API_PORT)).isEqualTo(9443);
    ApiCommand plain = api();
    assertThat(
            plain
                .store
                .settings(plain.spec, Map.of("NBSECRETS_API_PORT", "7443"))
                .get(NbsecretsSettings.API_PORT))
        .isEqualTo(7443);
    assertThatThrownBy(
            () ->
                plain
                    .store
                    .settings(plain.spec, Map.of("NBSECRETS_API_PORT", "x"))
                    .get(NbsecretsSettings.API_PORT))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("api.port must be a whole number")
        .hasMessageContaining("NBSECRETS_API_PORT");
  }

  @Test
  void rotateKeysReadsTheRotationValues() {
    RotateKeysCommand cmd =
        rotateKeys(
            "--batch-size=7",
            "--parallelism=3",
            "--propagation-wait-seconds=2",
            "--keep-old-keys",
            "--run-id=2026-11");
    RotationOptions o = RotateKeysCommand.rotationOptions(cmd.store.settings(cmd.spec, Map.of()));
    assertThat(o.batchSize()).isEqualTo(7);
    assertThat(o.parallelism()).isEqualTo(3);
    assertThat(o.propagationWait()).isEqualTo(Duration.ofSeconds(2));
    assertThat(o.dropOldKeys()).isFalse();
    assertThat(o.runId()).isEqualTo("2026-11");
    RotateKeysCommand plain = rotateKeys();
    RotationOptions d =
        RotateKeysCommand.rotationOptions(
            plain.store.settings(plain.spec, Map.of("NBSECRETS_ROTATION_BATCHSIZE", "9")));
    assertThat(d.batchSize()).isEqualTo(9);
    assertThat(d.parallelism()).isEqualTo(RotationOptions.defaults().parallelism());
    assertThat(d.dropOldKeys()).isTrue();
    assertThat(d.runId()).isNull();
  }

  @Test
  void helpShowsTheSettingsDefaults() {
    CommandLine cl = Commands.commandLine();
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.execute("operator", "--help");
    assertThat(out.toString())
        .contains("Default: nbsecrets.")
        .contains("Default: 8081")
        .contains("Default: nbsecrets-api-ca-bundle.");
  }

  @Test
  void everyBoundFlagNamesAKnownSetting() {
    List<String> unknown = new ArrayList<>();
    for (Object command :
        List.of(
            new OperatorCommand(), new ApiCommand(), new RotateKeysCommand(), new DevCommand())) {
      for (var option : new CommandLine(command).getCommandSpec().options()) {
        String key = option.descriptionKey();
        if (key != null
            && !key.isEmpty()
            && !key.startsWith("mixinStandardHelpOptions.")
            && NbsecretsSettings.byName(key).isEmpty()) {
          unknown.add(option.longestName() + " -> " + key);
        }
      }
    }
    assertThat(unknown).isEmpty();
  }

  @Test
  void theApiCaConfigMapDefaultIsTheOneTheApiPublishes() {
    assertThat(NbsecretsSettings.OPERATOR_API_CA_CONFIGMAP.defaultValue())
        .isEqualTo(ServerTls.CA_CONFIGMAP);
  }
}
