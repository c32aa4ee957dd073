package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretsSpec;
import io.nbsecrets.util.Hashes;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  private static final List<Snapshot.ManifestEntry> MANIFEST =
      List.of(new Snapshot.ManifestEntry("API_KEY", "api-key", 3));

  private static StatefulSet build(NotebookSession s) {
    return Workload.statefulSet(
        new WorkloadInputs(
            s, "nb-secrets-0123456789", "abcdef0123", null, 2000, Sessions.config()));
  }

  private static Container container(PodSpec pod, String name) {
    return pod.getContainers().stream()
        .filter(c -> c.getName().equals(name))
        .findFirst()
        .orElseGet(
            () ->
                pod.getInitContainers().stream()
                    .filter(c -> c.getName().equals(name))
                    .findFirst()
                    .orElseThrow());
  }

  private static Volume volume(PodSpec pod, String name) {
    return pod.getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void statefulSetRunsOneReplicaOwnedBySessionWithDefaults() {
    NotebookSession s = Sessions.session("alice", "nb", "alice", "API_KEY");
    StatefulSet sts = build(s);
    assertThat(sts.getSpec().getReplicas()).isEqualTo(1);
    assertThat(sts.getSpec().getServiceName()).isEqualTo("nb");
    assertThat(sts.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getController()).isTrue();
              assertThat(r.getUid()).isEqualTo("uid-nb");
              assertThat(r.getKind()).isEqualTo("NotebookSession");
            });
    assertThat(sts.getMetadata().getLabels())
        .containsEntry(Labels.SESSION, "nb")
        .containsEntry(Labels.USER, "alice");
    assertThat(sts.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(sts.getSpec().getSelector().getMatchLabels());
    Container nb = container(sts.getSpec().getTemplate().getSpec(), Workload.SESSION_CONTAINER);
    assertThat(nb.getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(8888));
    // the default is applied here, never written back into the session's spec
    assertThat(s.getSpec().getSecrets().getMountPath()).isNull();
    assertThat(nb.getVolumeMounts())
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/secrets");
              assertThat(m.getReadOnly()).isTrue();
              assertThat(m.getName()).isEqualTo(Workload.FILES_VOLUME);
            });
  }

  @Test
  void secretsLiveOnlyInMemoryAndOnlyTheInitContainerSeesSealedValuesAndToken() {
    PodSpec pod =
        build(Sessions.session("alice", "nb", "alice", "API_KEY"))
            .getSpec()
            .getTemplate()
            .getSpec();
    assertThat(volume(pod, Workload.FILES_VOLUME).getEmptyDir().getMedium()).isEqualTo("Memory");
    assertThat(volume(pod, Workload.SEALED_VOLUME).getSecret().getSecretName())
        .isEqualTo("nb-secrets-0123456789");
    var token =
        volume(pod, Workload.TOKEN_VOLUME)
            .getProjected()
            .getSources()
            .get(0)
            .getServiceAccountToken();
    assertThat(token.getAudience()).isEqualTo("nbsecrets");
    assertThat(token.getExpirationSeconds()).isEqualTo(600L);
    Container nb = container(pod, Workload.SESSION_CONTAINER);
    assertThat(nb.getVolumeMounts())
        .extracting(VolumeMount::getName)
        .containsExactly(Workload.FILES_VOLUME);
    assertThat(nb.getEnv()).isEmpty();
    Container init = container(pod, Workload.INIT_CONTAINER);
    assertThat(init.getVolumeMounts())
        .extracting(VolumeMount::getName)
        .contains(Workload.FILES_VOLUME, Workload.SEALED_VOLUME, Workload.TOKEN_VOLUME);
    // The list of files is in the mounted Secret, not in the environment (128 KiB per string).
    assertThat(init.getEnv()).isEmpty();
  }

  @Test
  void aSnapshotOfAnEarlierVersionKeepsItsManifestInTheEnvironmentAndItsTemplate() {
    NotebookSession s = Sessions.session("alice", "nb", "alice", "API_KEY");
    StatefulSet legacy =
        Workload.statefulSet(
            new WorkloadInputs(
                s, "nb-secrets-0123456789", "abcdef0123", MANIFEST, 2000, Sessions.config()));
    Container init = container(legacy.getSpec().getTemplate().getSpec(), Workload.INIT_CONTAINER);
    assertThat(init.getEnv())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getName()).isEqualTo("NBSECRETS_FILES");
              assertThat(e.getValue()).isEqualTo("[{\"name\":\"API_KEY\",\"file\":\"api-key\"}]");
            });
    // A record written by an earlier version (no manifestKey) names its Secret by the old hash,
    // and is followed to it, with the manifest in the environment as before.
    Snapshot snap =
        new Snapshot(
            "0123456789abcdef",
            List.of(new Snapshot.Entry("API_KEY", "api-key", 3, "gAAAAABfake-token")));
    var desired = SnapshotRecords.desired(s, snap, 100);
    var data = new java.util.HashMap<>(desired.data());
    data.remove(SnapshotRecords.MANIFEST_KEY);
    String oldName =
        "nb-secrets-"
            + Hashes.ofJson(List.of("0123456789abcdef", snap.manifest())).substring(0, 10);
    data.put(SnapshotRecords.SECRET, oldName);
    var old =
        SnapshotRecords.of(
            SnapshotRecords.configMap(
                s, new SnapshotRecord(desired.name(), desired.selectionHash(), data, null)));
    assertThat(old.manifestInSecret()).isFalse();
    assertThat(old.secretName("nb")).contains(oldName);
    // A new snapshot of the same contents is another Secret: never the old one without the key.
    assertThat(SessionSecrets.name("nb", snap)).isNotEqualTo(oldName);
  }

  @Test
  void initContainerIsLockedDown() {
    PodSpec pod =
        build(Sessions.session("alice", "nb", "alice", "API_KEY"))
            .getSpec()
            .getTemplate()
            .getSpec();
    Container init = container(pod, Workload.INIT_CONTAINER);
    assertThat(init.getImage()).isEqualTo("nbsecrets:test");
    var sc = init.getSecurityContext();
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(init.getArgs())
        .contains("init", "--mount-path=/secrets", "--api-url=http://api.test:8080");
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(100L);
  }

  @Test
  void desiredStateIsDeterministicAndChangesWithItsInputs() {
    NotebookSession s = Sessions.session("alice", "nb", "alice", "API_KEY");
    assertThat(Workload.desiredHash(build(s))).isEqualTo(Workload.desiredHash(build(s)));
    NotebookSession other = Sessions.session("alice", "nb", "alice", "API_KEY");
    other.getSpec().setImage("another:image");
    assertThat(Workload.desiredHash(build(other))).isNotEqualTo(Workload.desiredHash(build(s)));
    StatefulSet newSnapshot =
        Workload.statefulSet(
            new WorkloadInputs(
                s, "nb-secrets-9999999999", "ffff000000", null, 2000, Sessions.config()));
    assertThat(newSnapshot.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry(Labels.SNAPSHOT, "ffff000000");
    assertThat(Workload.desiredHash(newSnapshot)).isNotEqualTo(Workload.desiredHash(build(s)));
  }

  @Test
  void customMountPathAndPort() {
    NotebookSession s = Sessions.session("alice", "nb", "alice", "API_KEY");
    s.getSpec()
        .setSecrets(
            new SecretsSpec(
                "/home/jovyan/.secrets", null, List.of(new SecretItem("API_KEY", null))));
    s.getSpec().setPort(9000);
    StatefulSet sts = build(s);
    Container nb = container(sts.getSpec().getTemplate().getSpec(), Workload.SESSION_CONTAINER);
    assertThat(nb.getVolumeMounts().get(0).getMountPath()).isEqualTo("/home/jovyan/.secrets");
    Service svc = Workload.service(s);
    assertThat(svc.getSpec().getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getPort()).isEqualTo(9000));
    assertThat(svc.getSpec().getSelector()).isEqualTo(Labels.selector("nb"));
  }

  @Test
  void volumeIsSizedForTheValues() {
    assertThat(WorkloadVolumes.volumeSizeMi(0)).isEqualTo(1);
    assertThat(WorkloadVolumes.volumeSizeMi(100)).isEqualTo(1);
    assertThat(WorkloadVolumes.volumeSizeMi(3L << 20)).isEqualTo(6);
  }

  @Test
  void sessionSecretHoldsTokensOnlyAndIsImmutableAndOwned() {
    NotebookSession s = Sessions.session("alice", "nb", "alice", "API_KEY");
    Snapshot snap =
        new Snapshot(
            "0123456789abcdef",
            List.of(new Snapshot.Entry("API_KEY", "api-key", 3, "gAAAAABfake-token")));
    Secret secret = SessionSecrets.desired(s, snap);
    // Named by content: the same snapshot, the same name; another version, another name.
    assertThat(secret.getMetadata().getName()).matches("nb-secrets-[0-9a-f]{10}");
    assertThat(SessionSecrets.desired(s, snap).getMetadata().getName())
        .isEqualTo(secret.getMetadata().getName());
    Snapshot newer =
        new Snapshot(
            "0123456789abcdef",
            List.of(new Snapshot.Entry("API_KEY", "api-key", 4, "gAAAAABfake-token")));
    assertThat(SessionSecrets.desired(s, newer).getMetadata().getName())
        .isNotEqualTo(secret.getMetadata().getName());
    assertThat(secret.getImmutable()).isTrue();
    assertThat(secret.getType()).isEqualTo(SessionSecrets.TYPE);
    assertThat(secret.getData()).containsOnlyKeys("API_KEY", SessionSecrets.MANIFEST_KEY);
    assertThat(secret.getMetadata().getAnnotations()).doesNotContainKey(Labels.MANIFEST);
    assertThat(secret.getMetadata().getOwnerReferences().get(0).getController()).isTrue();
    assertThat(SessionSecrets.manifest(secret))
        .containsExactly(new Snapshot.ManifestEntry("API_KEY", "api-key", 3));
    assertThat(SessionSecrets.selectionHash(secret)).isEqualTo("0123456789abcdef");
  }

  @Test
  void aSnapshotRecordIsFollowedOnlyToTheSecretItsContentsName() {
    NotebookSession s = Sessions.session("alice", "nb", "alice", "API_KEY");
    Snapshot snap =
        new Snapshot(
            "0123456789abcdef",
            List.of(new Snapshot.Entry("API_KEY", "api-key", 3, "gAAAAABfake-token")));
    var record = SnapshotRecords.desired(s, snap, 100);
    assertThat(record.inConfigMap()).isFalse();
    assertThat(SnapshotRecords.configMap(s, record).getImmutable()).isTrue();
    assertThat(record.secretName("nb"))
        .contains(SessionSecrets.desired(s, snap).getMetadata().getName());
    assertThat(record.manifest())
        .containsExactly(new Snapshot.ManifestEntry("API_KEY", "api-key", 3));
    assertThat(record.sealedBytes()).isEqualTo(100);
    var forged = new java.util.HashMap<>(record.data());
    forged.put("secret", "someone-elses-secret");
    assertThat(
            new SnapshotRecord(record.name(), record.selectionHash(), forged, null)
                .secretName("nb"))
        .isEmpty();
  }

  @Test
  void userLabelIsTheUserWhenValidAndAHashOtherwise() {
    assertThat(Labels.userLabelValue("alice")).isEqualTo("alice");
    assertThat(Labels.userLabelValue("oidc:alice@example.org")).startsWith("u-").hasSize(42);
    assertThat(Labels.userLabelValue("oidc:alice@example.org"))
        .isEqualTo(Labels.userLabelValue("oidc:alice@example.org"))
        .isNotEqualTo(Labels.userLabelValue("oidc:bob@example.org"));
  }
}
