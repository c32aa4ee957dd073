package io.nbsecrets.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

class ModelValueTest {

  @Test
  void equalValuesOfTheSameClassAreEqualAndHashAlike() {
    MountedSecret a = new MountedSecret("db", 3L, null);
    MountedSecret b = new MountedSecret("db", 3L, null);
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.hashCode()).isEqualTo(Objects.hash("db", 3L, null, null));
  }

  @Test
  void anyDifferingValueMakesThemUnequal() {
    MountedSecret a = new MountedSecret("db", 3L, null);
    assertThat(a)
        .isNotEqualTo(new MountedSecret("db", 3L, true))
        .isNotEqualTo(new MountedSecret("db", 4L, null))
        .isNotEqualTo(new MountedSecret("api", 3L, null))
        .isNotEqualTo(new MountedSecret("db", 3L, null, "DB"))
        .isNotEqualTo(null);
  }

  @Test
  void valuesOfAnotherClassWithTheSameFieldsAreNotEqual() {
    assertThat(new EnvEntry("db", "x")).isNotEqualTo(new SecretItem("db", "x"));
    assertThat(new SecretsSpec(null, true, List.of(new SecretItem("db", null))))
        .isEqualTo(new SecretsSpec(null, true, List.of(new SecretItem("db", null))));
  }
}
