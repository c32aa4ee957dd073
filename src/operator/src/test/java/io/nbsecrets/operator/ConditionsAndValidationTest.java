package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.nbsecrets.model.EnvEntry;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsAndValidationTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T1 = Instant.parse("2026-01-01T00:05:00Z");

  @Test
  void transitionTimeMovesOnlyWhenStatusChanges() {
    List<Condition> c = new ArrayList<>();
    Conditions.set(c, "Ready", "False", "PodNotReady", "waiting", 1, T0);
    Conditions.set(c, "Ready", "False", "SecretNotFound", "secret X does not exist", 2, T1);
    assertThat(c)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
              assertThat(x.getReason()).isEqualTo("SecretNotFound");
              assertThat(x.getObservedGeneration()).isEqualTo(2L);
            });
    Conditions.set(c, "Ready", "True", "SessionReady", "ok", 2, T1);
    assertThat(c.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:05:00Z");
    assertThat(Conditions.is(c, "Ready", "True", "SessionReady")).isTrue();
  }

  private static SessionFailure failure(NotebookSession s) {
    try {
      SessionValidator.validateSpec(s);
      return null;
    } catch (SessionFailure f) {
      return f;
    }
  }

  @Test
  void validSessionPasses() {
    assertThat(failure(Sessions.session("alice", "nb", "alice", "A", "b.txt"))).isNull();
  }

  @Test
  void invalidMountPathsAreRefusedWithTheirReason() {
    for (String path :
        List.of("/", "/etc", "/etc/secrets", "relative", "/a/../etc", "/proc/self", "/secrets/")) {
      NotebookSession s = Sessions.session("alice", "nb", "alice", "A");
      s.getSpec().setSecrets(new SecretsSpec(path, null, List.of(new SecretItem("A", null))));
      SessionFailure f = failure(s);
      assertThat(f).as(path).isNotNull();
      assertThat(f.reason()).isEqualTo("InvalidMountPath");
      assertThat(f.getMessage()).contains("mountPath");
    }
  }

  @Test
  void duplicateNamesFileClashesAndBadNamesAreRefused() {
    NotebookSession dup = Sessions.session("alice", "nb", "alice", "A", "A");
    assertThat(failure(dup).getMessage()).contains("lists secret A twice");
    NotebookSession clash = Sessions.session("alice", "nb", "alice");
    clash
        .getSpec()
        .setSecrets(
            new SecretsSpec(
                null, null, List.of(new SecretItem("A", "f"), new SecretItem("B", "f"))));
    assertThat(failure(clash).getMessage()).contains("file f");
    NotebookSession traversal = Sessions.session("alice", "nb", "alice");
    traversal
        .getSpec()
        .setSecrets(new SecretsSpec(null, null, List.of(new SecretItem("A", "../etc/passwd"))));
    assertThat(failure(traversal).reason()).isEqualTo("InvalidSpec");
    NotebookSession longName = Sessions.session("alice", "a".repeat(53), "alice", "A");
    assertThat(failure(longName).getMessage()).contains("52");
  }

  @Test
  void resourcesAreCheckedAsThePodWouldBe() {
    NotebookSession over = Sessions.session("alice", "nb", "alice", "A");
    over.getSpec()
        .setResources(
            new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
                .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity("2Gi"))
                .addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity("1Gi"))
                .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("500m"))
                .addToLimits("cpu", new io.fabric8.kubernetes.api.model.Quantity("1"))
                .build());
    assertThat(failure(over).getMessage())
        .isEqualTo(
            "spec.resources.requests.memory (2Gi) is more than spec.resources.limits.memory (1Gi):"
                + " a request may not exceed its limit");
    over.getSpec()
        .getResources()
        .getRequests()
        .put("memory", new io.fabric8.kubernetes.api.model.Quantity("1Gi"));
    assertThat(failure(over)).isNull();
    over.getSpec()
        .getResources()
        .getLimits()
        .put("cpu", new io.fabric8.kubernetes.api.model.Quantity("lots"));
    assertThat(failure(over).getMessage())
        .isEqualTo(
            "spec.resources.limits.cpu (lots) is not a quantity (such as 500m, 2, 512Mi or 1Gi)");
    assertThat(failure(over).reason()).isEqualTo(Reason.INVALID_SPEC.value());
  }

  private static NotebookSession withEnv(List<String> command, SecretItem... items) {
    NotebookSession s = Sessions.session("alice", "nb", "alice");
    s.getSpec().setSecrets(new SecretsSpec(null, null, List.of(items)));
    s.getSpec().setCommand(command);
    return s;
  }

  @Test
  void exportedVariablesNeedValidUniqueNamesAndACommand() {
    List<String> cmd = List.of("start-notebook.py");
    assertThat(failure(withEnv(cmd, new SecretItem("db", null, "DB_URL")))).isNull();

    SessionFailure badName = failure(withEnv(cmd, new SecretItem("db", null, "1DB")));
    assertThat(badName.reason()).isEqualTo("InvalidSpec");
    assertThat(badName.getMessage())
        .startsWith("spec.secrets.items[db].env 1DB is not an environment variable name");
    assertThat(failure(withEnv(cmd, new SecretItem("db", null, "NBSECRETS_X"))).getMessage())
        .contains("begins with NBSECRETS_");

    SessionFailure twice =
        failure(withEnv(cmd, new SecretItem("a", null, "X"), new SecretItem("b", null, "X")));
    assertThat(twice.reason()).isEqualTo("EnvClash");
    assertThat(twice.getMessage())
        .isEqualTo(
            "secrets a and b are both exported as X; set another name with"
                + " spec.secrets.items[].env");

    NotebookSession plain = withEnv(cmd, new SecretItem("a", null, "TZ"));
    plain.getSpec().setEnv(List.of(new EnvEntry("TZ", "UTC")));
    assertThat(failure(plain).reason()).isEqualTo("EnvClash");
    assertThat(failure(plain).getMessage()).contains("which spec.env also sets");

    NotebookSession reserved = withEnv(cmd, new SecretItem("a", null, "A"));
    reserved.getSpec().setEnv(List.of(new EnvEntry(Workload.ENV_FILE_VARIABLE, "/x")));
    assertThat(failure(reserved).getMessage()).contains("the launcher");

    for (List<String> none : java.util.Arrays.<List<String>>asList(null, List.of())) {
      SessionFailure noCommand = failure(withEnv(none, new SecretItem("db", null, "DB_URL")));
      assertThat(noCommand.reason()).isEqualTo("CommandRequired");
      assertThat(noCommand.getMessage())
          .isEqualTo(NotebookSessionSpec.COMMAND_FOR_ENV_MESSAGE)
          .contains("[\"tini\", \"-g\", \"--\", \"start-notebook.py\"]");
    }
    NotebookSession envAll = Sessions.session("alice", "nb", "alice");
    envAll.getSpec().setSecrets(new SecretsSpec(null, true, true, null));
    assertThat(failure(envAll).reason()).isEqualTo("CommandRequired");
    // Files only: no command needed, the image's entrypoint runs as it is.
    assertThat(failure(withEnv(null, new SecretItem("db", null)))).isNull();
  }

  @Test
  void namespaceMustBeBoundToTheSessionsUser() {
    NotebookSession s = Sessions.session("alice", "nb", "bob", "A");
    var unbound = new NamespaceBuilder().withNewMetadata().withName("alice").endMetadata().build();
    assertThatThrownBy(() -> SessionValidator.validateBinding(s, unbound))
        .isInstanceOfSatisfying(
            SessionFailure.class, f -> assertThat(f.reason()).isEqualTo("NamespaceNotBound"))
        .hasMessageContaining("nbsecrets.io/user");
    var alices =
        new NamespaceBuilder()
            .withNewMetadata()
            .withName("alice")
            .addToAnnotations("nbsecrets.io/user", "alice")
            .endMetadata()
            .build();
    assertThatThrownBy(() -> SessionValidator.validateBinding(s, alices))
        .isInstanceOfSatisfying(
            SessionFailure.class, f -> assertThat(f.reason()).isEqualTo("UserMismatch"))
        .hasMessageContaining("bob")
        .hasMessageContaining("alice");
    NotebookSession own = Sessions.session("alice", "nb", "alice", "A");
    org.assertj.core.api.Assertions.assertThatCode(
            () -> SessionValidator.validateBinding(own, alices))
        .doesNotThrowAnyException();
  }
}
