package io.nbsecrets.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MountPathsTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "/secrets",
        "/home/jovyan/.secrets",
        "/mnt/nbsecrets",
        "/opt/app/secrets",
        "/variable",
        "/tmp/secrets"
      })
  void accepted(String path) {
    assertThat(MountPaths.problem(path)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "/",
        "secrets",
        "/etc",
        "/etc/x",
        "/usr/local/secrets",
        "/var",
        "/var/run/secrets",
        "/proc",
        "/sys",
        "/bin",
        "/a//b",
        "/a/./b",
        "/a/../etc",
        "/a/",
        "/a/..",
        "/root",
        "/tmp"
      })
  void refused(String path) {
    assertThat(MountPaths.problem(path)).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"API_KEY", "db-password", "a.b_c-d", ".hidden", "x"})
  void validNames(String name) {
    assertThat(SecretNames.problem(name)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "a/b", "a b", "ä", "x\n"})
  void invalidNames(String name) {
    assertThat(SecretNames.problem(name)).isPresent();
  }

  @org.junit.jupiter.api.Test
  void nameLengthLimit() {
    assertThat(SecretNames.problem("a".repeat(128))).isEmpty();
    assertThat(SecretNames.problem("a".repeat(129))).get().asString().contains("128");
  }
}
