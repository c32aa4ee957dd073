package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionStatus;
import io.nbsecrets.model.SecretsSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the status is built from one pass's verdicts, and how Ready follows from them. */
class SessionStatusAggregatorTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T1 = Instant.parse("2026-01-01T00:05:00Z");

  private static final StatefulSet READY_STS =
      new StatefulSetBuilder()
          .withNewMetadata()
          .withName("nb")
          .withGeneration(1L)
          .endMetadata()
          .withNewStatus()
          .withObservedGeneration(1L)
          .withReplicas(1)
          .withReadyReplicas(1)
          .endStatus()
          .build();

  @Test
  void readyIsTrueOnlyWhenSecretsAndWorkloadAreAndNamesTheFirstThatIsNot() {
    NotebookSession session = Sessions.session("ns", "nb", "erin", "A");
    NotebookSessionStatus ok =
        new SessionStatusAggregator(session, T0)
            .secrets()
            .ready(Reason.SECRETS_MOUNTED, "1 secret in the snapshot")
            .workloadFrom(READY_STS, null)
            .build(List.of(), READY_STS);
    assertThat(ok.getConditions())
        .extracting(Condition::getType, Condition::getStatus, Condition::getReason)
        .containsExactly(
            tuple("SecretsReady", "True", "SecretsMounted"),
            tuple("WorkloadReady", "True", "PodReady"),
            tuple("Ready", "True", "SessionReady"));
    assertThat(ok.getPodName()).isEqualTo("nb-0");

    NotebookSessionStatus initFailed =
        new SessionStatusAggregator(session, T0)
            .secrets()
            .ready(Reason.SECRETS_MOUNTED, "1 secret in the snapshot")
            .initFailed(new PodInitFailures.Failure("UserKeyRefused", "the key was refused"))
            .workloadFrom(null, null)
            .build(List.of(), null);
    assertThat(Conditions.is(initFailed.getConditions(), "Ready", "False", "UserKeyRefused"))
        .isTrue();
    assertThat(initFailed.getPodName()).isNull();
  }

  @Test
  void withoutSecretsReadyReadyIsNotWrittenFromTheWorkloadAlone() {
    NotebookSession session = Sessions.session("ns", "nb", "erin", "A");
    NotebookSessionStatus status =
        new SessionStatusAggregator(session, T0)
            .workloadFrom(READY_STS, null)
            .build(List.of(), READY_STS);
    assertThat(Conditions.find(status.getConditions(), "Ready")).isEmpty();
  }

  @Test
  void aConditionWrittenAgainWithTheSameStatusKeepsItsTransitionTime() {
    NotebookSession session = Sessions.session("ns", "nb", "erin", "A");
    session.setStatus(
        new SessionStatusAggregator(session, T0)
            .failed(
                new SessionFailure(
                    SessionFailure.Scope.WORKLOAD, Reason.API_CA_BUNDLE_MISSING, "no CA yet"))
            .build(List.of(), null));
    // The next pass fails on the same scope again, even though the StatefulSet is ready: the
    // condition is written once, False to False, so its transition time stays.
    session.getMetadata().setGeneration(2L);
    NotebookSessionStatus next =
        new SessionStatusAggregator(session, T1)
            .workloadFrom(READY_STS, null)
            .failed(new SessionFailure(SessionFailure.Scope.WORKLOAD, Reason.NAME_TAKEN, "taken"))
            .build(List.of(), READY_STS);
    Condition workload = Conditions.find(next.getConditions(), "WorkloadReady").orElseThrow();
    assertThat(workload.getReason()).isEqualTo("NameTaken");
    assertThat(workload.getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(workload.getObservedGeneration()).isEqualTo(2L);
    assertThat(next.getObservedGeneration()).isEqualTo(2L);
    assertThat(Conditions.is(next.getConditions(), "Ready", "False", "NameTaken")).isTrue();
  }

  @Test
  void secretsReadySaysHowManyAndWhetherTheStaleCheckCouldRun() {
    NotebookSession session = Sessions.session("ns", "nb", "erin", "A");
    NotebookSessionStatus checked =
        new SessionStatusAggregator(session, T0)
            .secretsFrom(manifest("A", "B"), SecretResolver.CurrentVersions.of(Map.of("A", 1L)))
            .workloadFrom(READY_STS, null)
            .build(List.of(), READY_STS);
    assertThat(Conditions.find(checked.getConditions(), "SecretsReady").orElseThrow())
        .extracting(Condition::getStatus, Condition::getReason, Condition::getMessage)
        .containsExactly("True", "SecretsMounted", "2 secrets in the snapshot");

    NotebookSessionStatus unchecked =
        new SessionStatusAggregator(session, T0)
            .secretsFrom(
                manifest("A"),
                SecretResolver.CurrentVersions.failed("StoreUnavailable", "connection refused"))
            .workloadFrom(READY_STS, null)
            .build(List.of(), READY_STS);
    assertThat(Conditions.find(unchecked.getConditions(), "SecretsReady").orElseThrow())
        .extracting(Condition::getStatus, Condition::getReason, Condition::getMessage)
        .containsExactly(
            "True",
            "StaleCheckFailed",
            "1 secret in the snapshot; whether they were replaced or deleted since could not be"
                + " checked (StoreUnavailable: connection refused): stale marks are as last seen,"
                + " checked again every 15 s");
    assertThat(Conditions.is(unchecked.getConditions(), "Ready", "True", "SessionReady")).isTrue();
  }

  private static List<Snapshot.ManifestEntry> manifest(String... names) {
    return java.util.Arrays.stream(names)
        .map(n -> new Snapshot.ManifestEntry(n, n, 1L, null))
        .toList();
  }

  @Test
  void secretsReadyCountsTheVariablesAndNamesTheSecretsEnvAllLeftOut() {
    NotebookSession session = Sessions.session("ns", "nb", "erin");
    session.getSpec().setSecrets(new SecretsSpec(null, true, true, null));
    session.getSpec().setCommand(List.of("start-notebook.py"));
    List<Snapshot.ManifestEntry> manifest =
        List.of(
            new Snapshot.ManifestEntry("API_KEY", "API_KEY", 1L, "API_KEY"),
            new Snapshot.ManifestEntry("db-password", "db-password", 1L, null),
            new Snapshot.ManifestEntry("ssh.key", "ssh.key", 1L, null));
    NotebookSessionStatus status =
        new SessionStatusAggregator(session, T0)
            .secretsFrom(manifest, SecretResolver.CurrentVersions.of(Map.of()))
            .workloadFrom(READY_STS, null)
            .build(List.of(), READY_STS);
    assertThat(Conditions.find(status.getConditions(), "SecretsReady").orElseThrow().getMessage())
        .isEqualTo(
            "3 secrets in the snapshot, 1 also as environment variables (set when the session"
                + " starts); envAll left out 2 secrets whose names are not environment variable"
                + " names (db-password, ssh.key): name their variables with"
                + " spec.secrets.items[].env");
  }
}
