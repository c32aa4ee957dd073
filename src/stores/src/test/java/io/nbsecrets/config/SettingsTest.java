package io.nbsecrets.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
  @TempDir Path dir;

  @Test
  void fileThenEnvironmentThenFlagsLaterWins() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(
        file,
        "store:\n  type: database\n  database:\n    url: jdbc:postgresql://file/db\n    maxPoolSize: 4\n");
    Settings s =
        Settings.load(
            file,
            Map.of(
                "NBSECRETS_STORE_DATABASE_URL",
                "jdbc:postgresql://env/db",
                "NBSECRETS_API_URL",
                "x"),
            List.of("store.database.maxPoolSize=7"));
    assertThat(s.get(NbsecretsSettings.STORE_TYPE.name())).contains("database");
    assertThat(s.get(NbsecretsSettings.DB_URL.name())).contains("jdbc:postgresql://env/db");
    assertThat(s.origin(NbsecretsSettings.DB_URL.name()))
        .isEqualTo("environment variable NBSECRETS_STORE_DATABASE_URL");
    assertThat(s.getInt(NbsecretsSettings.DB_MAX_POOL_SIZE.name(), 10, 1, 100)).isEqualTo(7);
    assertThat(s.origin(NbsecretsSettings.DB_MAX_POOL_SIZE.name()))
        .isEqualTo("--set store.database.maxPoolSize");
  }

  @Test
  void secretsCanComeFromFiles() throws Exception {
    Path password = dir.resolve("password");
    Files.writeString(password, "s3cret\n");
    Settings s =
        Settings.load(
            null, Map.of("NBSECRETS_STORE_DATABASE_PASSWORDFILE", password.toString()), List.of());
    assertThat(s.get(NbsecretsSettings.DB_PASSWORD.name())).contains("s3cret");
    Settings missing = Settings.load(null, Map.of(), List.of("store.database.passwordFile=/nope"));
    assertThatThrownBy(() -> missing.get(NbsecretsSettings.DB_PASSWORD.name()))
        .isInstanceOf(SettingsException.class)
        .hasMessageContaining("store.database.passwordFile")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void badValuesNameTheSetting() throws Exception {
    assertThatThrownBy(() -> Settings.load(null, Map.of(), List.of("store.typo=x")))
        .hasMessageContaining("unknown setting store.typo")
        .hasMessageContaining("--set store.typo");
    Settings s =
        Settings.load(
            null,
            Map.of(),
            List.of(
                "store.type=mongo", "store.database.maxPoolSize=0", "store.vault.timeout=soon"));
    assertThatThrownBy(
            () -> s.getChoice(NbsecretsSettings.STORE_TYPE.name(), NbsecretsSettings.STORE_TYPES))
        .hasMessage("store.type must be one of [kubernetes, database, vault], got: mongo");
    assertThatThrownBy(() -> s.getInt(NbsecretsSettings.DB_MAX_POOL_SIZE.name(), 10, 1, 100))
        .hasMessageContaining("store.database.maxPoolSize must be between 1 and 100");
    assertThatThrownBy(
            () -> s.getDuration(NbsecretsSettings.VAULT_TIMEOUT.name(), Duration.ofSeconds(5)))
        .hasMessageContaining("store.vault.timeout must be a duration");
    assertThatThrownBy(
            () -> s.require(NbsecretsSettings.DB_URL.name(), "when store.type is database"))
        .hasMessageContaining("store.database.url is required when store.type is database")
        .hasMessageContaining("NBSECRETS_STORE_DATABASE_URL");
    Files.writeString(dir.resolve("list.yaml"), "store:\n  type: [a, b]\n");
    assertThatThrownBy(() -> Settings.load(dir.resolve("list.yaml"), Map.of(), List.of()))
        .hasMessageContaining("store.type");
    assertThatThrownBy(() -> Settings.load(null, Map.of(), List.of("novalue")))
        .hasMessageContaining("name=value");
  }

  @Test
  void defaultsAndDurations() {
    Settings s = Settings.load(null, Map.of(), List.of("store.vault.timeout=750ms"));
    assertThat(s.getChoice(NbsecretsSettings.STORE_TYPE.name(), NbsecretsSettings.STORE_TYPES))
        .isEqualTo("kubernetes");
    assertThat(s.getDuration(NbsecretsSettings.VAULT_TIMEOUT.name(), Duration.ZERO))
        .isEqualTo(Duration.ofMillis(750));
    assertThat(s.getDuration(NbsecretsSettings.DB_CONNECTION_TIMEOUT.name(), Duration.ofSeconds(5)))
        .isEqualTo(Duration.ofSeconds(5));
    assertThat(Settings.envName("store.vault.kubernetes.role"))
        .isEqualTo("NBSECRETS_STORE_VAULT_KUBERNETES_ROLE");
  }

  @Test
  void oneRuleForTypedSettingsFlagOverEnvironmentOverFileOverDefault() throws Exception {
    Setting<Integer> port = NbsecretsSettings.API_PORT;
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, "api:\n  port: 1001\n");
    Map<String, String> env = Map.of("NBSECRETS_API_PORT", "1002");
    List<Settings.Given> flag = List.of(new Settings.Given("api.port", "1003", "--port"));

    assertThat(Settings.load(null, Map.of(), List.of()).get(port)).isEqualTo(8443);
    assertThat(Settings.load(file, Map.of(), List.of()).get(port)).isEqualTo(1001);
    Settings fileAndEnv = Settings.load(file, env, List.of());
    assertThat(fileAndEnv.get(port)).isEqualTo(1002);
    assertThat(fileAndEnv.origin("api.port")).isEqualTo("environment variable NBSECRETS_API_PORT");
    Settings all = Settings.load(file, env, List.of(), flag);
    assertThat(all.get(port)).isEqualTo(1003);
    assertThat(all.origin("api.port")).isEqualTo("--port");
    // --set is a flag too; a command's own flag wins over it.
    assertThat(Settings.load(file, env, List.of("api.port=1004")).get(port)).isEqualTo(1004);
    assertThat(Settings.load(file, env, List.of("api.port=1004"), flag).get(port)).isEqualTo(1003);
  }

  @Test
  void theCanonicalVariableWinsOverAnOlderAlias() {
    Setting<String> audience = NbsecretsSettings.POD_TOKEN_AUDIENCE;
    assertThat(audience.envName()).isEqualTo("NBSECRETS_API_PODTOKENAUDIENCE");
    assertThat(audience.envAliases()).containsExactly("NBSECRETS_POD_TOKEN_AUDIENCE");
    Settings both =
        Settings.load(
            null,
            Map.of("NBSECRETS_API_PODTOKENAUDIENCE", "new", "NBSECRETS_POD_TOKEN_AUDIENCE", "old"),
            List.of());
    assertThat(both.get(audience)).isEqualTo("new");
    assertThat(
            Settings.load(null, Map.of("NBSECRETS_POD_TOKEN_AUDIENCE", "old"), List.of())
                .get(audience))
        .isEqualTo("old");
  }

  @Test
  void typedValuesAreCheckedAndNameTheirOrigin() {
    Settings s =
        Settings.load(
            null,
            Map.of(),
            List.of(
                "api.port=70000",
                "operator.leaderElection=maybe",
                "rbac.watchNamespaces= a, ,b ",
                "operator.apiCaConfigMap="));
    assertThatThrownBy(() -> s.get(NbsecretsSettings.API_PORT))
        .isInstanceOf(SettingsException.class)
        .hasMessage("api.port must be between 0 and 65535, got 70000 (from --set api.port)");
    assertThatThrownBy(() -> s.get(NbsecretsSettings.OPERATOR_LEADER_ELECTION))
        .hasMessageContaining("operator.leaderElection must be true or false, got: maybe");
    assertThat(s.get(NbsecretsSettings.WATCH_NAMESPACES)).containsExactly("a", "b");
    // Given empty, a text setting is the empty text (no CA ConfigMap), not its default.
    assertThat(s.get(NbsecretsSettings.OPERATOR_API_CA_CONFIGMAP)).isEmpty();
    assertThat(s.get(NbsecretsSettings.ROTATION_PARALLELISM)).isNull();
  }

  @Test
  void givenEmptyASettingTakesItsDefaultUnlessEmptyIsAValue() {
    Settings s =
        Settings.load(
            null,
            Map.of(
                "NBSECRETS_STORE_TYPE", "",
                "NBSECRETS_STORE_VAULT_TRANSIT_MOUNT", "",
                "NBSECRETS_STORE_DATABASE_CONNECTIONTIMEOUT", "750ms"),
            List.of());
    assertThat(s.get(NbsecretsSettings.STORE_TYPE)).isEqualTo("kubernetes");
    assertThat(s.get(NbsecretsSettings.VAULT_TRANSIT_MOUNT)).isEqualTo("transit");
    assertThat(s.get(NbsecretsSettings.DB_CONNECTION_TIMEOUT)).isEqualTo(Duration.ofMillis(750));
    assertThat(s.get(NbsecretsSettings.DB_MAX_POOL_SIZE)).isEqualTo(10);
    assertThat(s.get(NbsecretsSettings.VAULT_TIMEOUT)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void everySettingIsAChartValueOrSaysWhyNot() throws Exception {
    Set<String> chartValues = new TreeSet<>();
    JsonNode values =
        new ObjectMapper(new YAMLFactory())
            .readTree(Path.of("charts/nbsecrets/values.yaml").toFile());
    leaves("", values, chartValues);
    List<String> wrong = new ArrayList<>();
    for (Setting<?> s : NbsecretsSettings.all()) {
      boolean inChart = chartValues.contains(s.name());
      switch (s.scope()) {
        case CHART_VALUE -> {
          if (!inChart) {
            wrong.add(s.name() + " is said to be a chart value but values.yaml has none");
          }
        }
        case NOT_A_CHART_VALUE -> {
          if (inChart) {
            wrong.add(s.name() + " is a chart value");
          }
        }
        case DEV_ONLY -> {
          if (inChart || !s.name().startsWith("dev.")) {
            wrong.add(s.name() + " is dev-only: not in the chart, named dev.*");
          }
        }
      }
    }
    assertThat(wrong).isEmpty();
    // the store's settings, by the names the chart gives them
    assertThat(NbsecretsSettings.names())
        .contains(
            "store.type",
            "store.kubernetes.namespace",
            "store.database.url",
            "store.database.username",
            "store.database.password",
            "store.database.maxPoolSize",
            "store.database.connectionTimeout",
            "store.vault.address",
            "store.vault.kvMount",
            "store.vault.pathPrefix",
            "store.vault.auth.method",
            "store.vault.auth.token",
            "store.vault.auth.role",
            "store.vault.auth.kubernetesMountPath",
            "store.vault.auth.jwtPath",
            "store.vault.timeout",
            "store.vault.transit.key",
            "store.vault.transit.mount");
  }

  private static void leaves(String prefix, JsonNode node, Set<String> names) {
    for (Map.Entry<String, JsonNode> f : node.properties()) {
      String name = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
      if (f.getValue().isObject() && !f.getValue().isEmpty()) {
        leaves(name, f.getValue(), names);
      } else {
        names.add(name);
      }
    }
  }
}
