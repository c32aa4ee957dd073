package io.nbsecrets.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
    assertThat(s.get(SettingNames.STORE_TYPE)).contains("database");
    assertThat(s.get(SettingNames.DB_URL)).contains("jdbc:postgresql://env/db");
    assertThat(s.origin(SettingNames.DB_URL))
        .isEqualTo("environment variable NBSECRETS_STORE_DATABASE_URL");
    assertThat(s.getInt(SettingNames.DB_MAX_POOL_SIZE, 10, 1, 100)).isEqualTo(7);
    assertThat(s.origin(SettingNames.DB_MAX_POOL_SIZE))
        .isEqualTo("--set store.database.maxPoolSize");
  }

  @Test
  void secretsCanComeFromFiles() throws Exception {
    Path password = dir.resolve("password");
    Files.writeString(password, "s3cret\n");
    Settings s =
        Settings.load(
            null, Map.of("NBSECRETS_STORE_DATABASE_PASSWORDFILE", password.toString()), List.of());
    assertThat(s.get(SettingNames.DB_PASSWORD)).contains("s3cret");
    Settings missing = Settings.load(null, Map.of(), List.of("store.database.passwordFile=/nope"));
    assertThatThrownBy(() -> missing.get(SettingNames.DB_PASSWORD))
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
    assertThatThrownBy(() -> s.getChoice(SettingNames.STORE_TYPE, SettingNames.STORE_TYPES))
        .hasMessage("store.type must be one of [kubernetes, database, vault], got: mongo");
    assertThatThrownBy(() -> s.getInt(SettingNames.DB_MAX_POOL_SIZE, 10, 1, 100))
        .hasMessageContaining("store.database.maxPoolSize must be between 1 and 100");
    assertThatThrownBy(() -> s.getDuration(SettingNames.VAULT_TIMEOUT, Duration.ofSeconds(5)))
        .hasMessageContaining("store.vault.timeout must be a duration");
    assertThatThrownBy(() -> s.require(SettingNames.DB_URL, "when store.type is database"))
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
    assertThat(s.getChoice(SettingNames.STORE_TYPE, SettingNames.STORE_TYPES))
        .isEqualTo("kubernetes");
    assertThat(s.getDuration(SettingNames.VAULT_TIMEOUT, Duration.ZERO))
        .isEqualTo(Duration.ofMillis(750));
    assertThat(s.getDuration(SettingNames.DB_CONNECTION_TIMEOUT, Duration.ofSeconds(5)))
        .isEqualTo(Duration.ofSeconds(5));
    assertThat(Settings.envName("store.vault.kubernetes.role"))
        .isEqualTo("NBSECRETS_STORE_VAULT_KUBERNETES_ROLE");
  }
}
