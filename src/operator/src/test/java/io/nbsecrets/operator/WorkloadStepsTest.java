package io.nbsecrets.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.nbsecrets.model.NotebookSession;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each step of the session's StatefulSet, on its own: what it adds, and only that. */
class WorkloadStepsTest {
  private static final String SECRET = "nb-secrets-0123456789";

  private static WorkloadInputs inputs(NotebookSession session, OperatorConfig config) {
    return new WorkloadInputs(session, SECRET, "abcdef0123", null, 3L << 20, config);
  }

  private static WorkloadInputs defaults() {
    return inputs(Sessions.session("alice", "nb", "alice", "API_KEY"), Sessions.config());
  }

  private static WorkloadInputs full() {
    return inputs(WorkloadGoldenTest.fullSession(), WorkloadGoldenTest.httpsWithCa());
  }

  @Test
  void inputsApplyTheDefaultMountPathAndPort() {
    WorkloadInputs in = defaults();
    assertThat(in.mountPath()).isEqualTo("/secrets");
    assertThat(in.port()).isEqualTo(OperatorConfig.DEFAULT_PORT);
    in.session().getSpec().setSecrets(null);
    assertThat(in.mountPath()).isEqualTo("/secrets");
    assertThat(full().mountPath()).isEqualTo("/home/jovyan/.secrets");
    assertThat(full().port()).isEqualTo(9000);
  }

  @Test
  void baseIsTheOwnedOneReplicaStatefulSetAroundTheGivenPod() {
    WorkloadInputs in = full();
    PodSpec pod = new PodSpecBuilder().withHostname("marker").build();
    StatefulSet sts = WorkloadBase.statefulSet(in, pod, Map.of());
    assertThat(sts.getMetadata().getName()).isEqualTo("analysis");
    assertThat(sts.getMetadata().getNamespace()).isEqualTo("team-a");
    assertThat(sts.getMetadata().getLabels())
        .containsEntry(Labels.SESSION, "analysis")
        .containsEntry(Labels.USER, Labels.userLabelValue("oidc:bob@example.org"))
        .containsEntry(Labels.COMPONENT, Labels.COMPONENT_WORKLOAD);
    assertThat(sts.getMetadata().getOwnerReferences())
        .containsExactly(Owners.controllerReference(in.session()));
    // the hash is stamped last, over all steps, not by the base
    assertThat(sts.getMetadata().getAnnotations()).isNullOrEmpty();
    assertThat(sts.getSpec().getReplicas()).isEqualTo(1);
    assertThat(sts.getSpec().getServiceName()).isEqualTo("analysis");
    assertThat(sts.getSpec().getSelector().getMatchLabels()).isEqualTo(Labels.selector("analysis"));
    var template = sts.getSpec().getTemplate();
    assertThat(template.getMetadata().getLabels()).isEqualTo(sts.getMetadata().getLabels());
    assertThat(template.getMetadata().getAnnotations())
        .containsExactly(Map.entry(Labels.SNAPSHOT, "abcdef0123"));
    assertThat(template.getSpec().getHostname()).isEqualTo("marker");
    assertThat(template.getSpec().getContainers()).isNullOrEmpty();
  }

  @Test
  void baseCarriesTheOperatorsAnnotationsOnTheStatefulSetNotOnThePod() {
    PodSpec pod = new PodSpecBuilder().build();
    Map<String, String> carried = Map.of(Labels.SUPERSEDED_SECRET, "analysis-secrets-0123456789");
    StatefulSet sts = WorkloadBase.statefulSet(full(), pod, carried);
    assertThat(sts.getMetadata().getAnnotations()).isEqualTo(carried);
    assertThat(sts.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsOnlyKeys(Labels.SNAPSHOT);
  }

  @Test
  void podSettingsCarryTheUsersSchedulingAndTheRestrictedPodSecurityContext() {
    PodSpec pod = PodSettings.podSpec(full());
    assertThat(pod.getServiceAccountName()).isEqualTo("notebook-sa");
    assertThat(pod.getNodeSelector()).containsExactly(Map.entry("pool", "notebooks"));
    assertThat(pod.getTolerations())
        .singleElement()
        .satisfies(t -> assertThat(t.getKey()).isEqualTo("dedicated"));
    assertThat(pod.getEnableServiceLinks()).isFalse();
    var sc = pod.getSecurityContext();
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getRunAsUser()).isEqualTo(1000L);
    assertThat(sc.getRunAsGroup()).isEqualTo(100L);
    assertThat(sc.getFsGroup()).isEqualTo(100L);
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getContainers()).isNullOrEmpty();
    assertThat(pod.getInitContainers()).isNullOrEmpty();
    assertThat(pod.getVolumes()).isNullOrEmpty();

    PodSpec defaults = PodSettings.podSpec(defaults());
    assertThat(defaults.getServiceAccountName()).isNull();
    assertThat(defaults.getNodeSelector()).isNullOrEmpty();
    assertThat(defaults.getTolerations()).isNullOrEmpty();
  }

  @Test
  void initContainerOverHttpsTrustsThePublishedCaAndMountsSealedValuesAndToken() {
    Container init = InitContainer.container(full());
    assertThat(init.getName()).isEqualTo(Workload.INIT_CONTAINER);
    assertThat(init.getImage()).isEqualTo("ghcr.io/nbsecrets/nbsecrets:1.2.3");
    assertThat(init.getImagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(init.getArgs())
        .containsExactly(
            "init",
            "--api-url=https://nbsecrets-api.nbsecrets.svc:8443",
            "--sealed-dir=" + Workload.SEALED_DIR,
            "--token-file=" + Workload.TOKEN_FILE,
            "--mount-path=/home/jovyan/.secrets");
    // the bundle, trimmed: nothing else in the environment
    assertThat(init.getEnv())
        .containsExactly(
            new EnvVar(
                Workload.API_CA_ENV,
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                null));
    var sc = init.getSecurityContext();
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(init.getResources().getRequests())
        .containsEntry("cpu", new Quantity("50m"))
        .containsEntry("memory", new Quantity("64Mi"));
    assertThat(init.getResources().getLimits())
        .containsExactly(Map.entry("memory", new Quantity("256Mi")));
    assertThat(init.getVolumeMounts())
        .extracting(VolumeMount::getName, VolumeMount::getMountPath, VolumeMount::getReadOnly)
        .containsExactly(
            tuple(Workload.FILES_VOLUME, "/home/jovyan/.secrets", null),
            tuple(Workload.SEALED_VOLUME, Workload.SEALED_DIR, true),
            tuple(Workload.TOKEN_VOLUME, Workload.TOKEN_DIR, true),
            tuple(Workload.TMP_VOLUME, "/tmp", null));
  }

  @Test
  void initContainerOverPlainHttpIsAllowedInsecureAndGetsNoCa() {
    OperatorConfig http =
        new OperatorConfig(
            "http://api.test:8080",
            "nbsecrets:test",
            "nbsecrets",
            1000,
            100,
            () -> "PEM",
            false,
            true);
    Container init = InitContainer.container(inputs(WorkloadGoldenTest.fullSession(), http));
    assertThat(init.getArgs()).endsWith("--allow-insecure-http");
    assertThat(init.getEnv()).isEmpty();
    assertThat(InitContainer.container(full()).getArgs()).doesNotContain("--allow-insecure-http");
    // https without a published bundle: the JDK's CAs, no variable
    assertThat(InitContainer.apiCaEnv(WorkloadGoldenTest.httpsWithoutCa())).isEmpty();
  }

  @Test
  void initContainerOfAnEarlierSnapshotHasItsManifestInTheEnvironment() {
    WorkloadInputs in =
        new WorkloadInputs(
            Sessions.session("alice", "nb", "alice", "API_KEY"),
            SECRET,
            "abcdef0123",
            List.of(new Snapshot.ManifestEntry("API_KEY", "api-key", 3)),
            2000,
            WorkloadGoldenTest.httpsWithCa());
    assertThat(InitContainer.container(in).getEnv())
        .extracting(EnvVar::getName)
        .containsExactly(Workload.API_CA_ENV, Workload.FILES_ENV);
    assertThat(InitContainer.legacyManifestEnv(null)).isEmpty();
  }

  @Test
  void sessionContainerIsTheUsersWithTheFilesMountedReadOnly() {
    WorkloadInputs in = full();
    Container nb = SessionContainer.container(in);
    assertThat(nb.getName()).isEqualTo(Workload.SESSION_CONTAINER);
    assertThat(nb.getImage()).isEqualTo("registry.example.org/lab:2024.1");
    assertThat(nb.getCommand()).containsExactly("start-notebook.py");
    assertThat(nb.getArgs()).containsExactly("--NotebookApp.token=", "--ip=0.0.0.0");
    // the spec's entries as given, in order, an entry without value included
    assertThat(nb.getEnv())
        .containsExactly(new EnvVar("TZ", "Europe/Paris", null), new EnvVar("EMPTY", null, null));
    assertThat(nb.getResources()).isEqualTo(in.spec().getResources());
    assertThat(nb.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(nb.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(nb.getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("http");
              assertThat(p.getContainerPort()).isEqualTo(9000);
              assertThat(p.getProtocol()).isEqualTo("TCP");
            });
    assertThat(nb.getVolumeMounts())
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getName()).isEqualTo(Workload.FILES_VOLUME);
              assertThat(m.getMountPath()).isEqualTo("/home/jovyan/.secrets");
              assertThat(m.getReadOnly()).isTrue();
            });
    assertThat(SessionContainer.container(defaults()).getEnv()).isEmpty();
  }

  @Test
  void volumesAreTheInMemoryFilesTheSealedSecretTheTokenAndTmp() {
    List<Volume> volumes =
        WorkloadVolumes.volumes(
            inputs(WorkloadGoldenTest.fullSession(), WorkloadGoldenTest.httpsWithoutCa()));
    assertThat(volumes)
        .extracting(Volume::getName)
        .containsExactly(
            Workload.FILES_VOLUME,
            Workload.SEALED_VOLUME,
            Workload.TOKEN_VOLUME,
            Workload.TMP_VOLUME);
    var files = volumes.get(0).getEmptyDir();
    assertThat(files.getMedium()).isEqualTo("Memory");
    assertThat(files.getSizeLimit()).isEqualTo(new Quantity("6Mi"));
    var sealed = volumes.get(1).getSecret();
    assertThat(sealed.getSecretName()).isEqualTo(SECRET);
    assertThat(sealed.getDefaultMode()).isEqualTo(0440);
    var projected = volumes.get(2).getProjected();
    assertThat(projected.getDefaultMode()).isEqualTo(0440);
    var token = projected.getSources().get(0).getServiceAccountToken();
    assertThat(token.getAudience()).isEqualTo("custom-audience");
    assertThat(token.getExpirationSeconds()).isEqualTo(Workload.TOKEN_EXPIRATION_SECONDS);
    assertThat(token.getPath()).isEqualTo("token");
    var tmp = volumes.get(3).getEmptyDir();
    assertThat(tmp.getMedium()).isEqualTo("Memory");
    assertThat(tmp.getSizeLimit()).isEqualTo(new Quantity("16Mi"));
  }

  @Test
  void theEnvLauncherLeavesASessionThatExportsNothingAsItWas() throws Exception {
    WorkloadInputs in = full();
    PodSpec pod = Workload.basePod(in);
    String before = WorkloadGoldenTest.json(pod);
    assertThat(EnvLauncher.apply(in, pod)).isSameAs(pod);
    assertThat(WorkloadGoldenTest.json(pod)).isEqualTo(before);
  }

  @Test
  void theEnvLauncherWrapsTheCommandAndAddsOnlyTheVariablesFileAndItsVolume() throws Exception {
    WorkloadInputs plain = full();
    WorkloadInputs in = inputs(WorkloadGoldenTest.envSession(), WorkloadGoldenTest.httpsWithCa());
    PodSpec pod = Workload.basePod(in);
    PodSpec launched = EnvLauncher.apply(in, pod);

    Container session = launched.getContainers().get(0);
    assertThat(session.getCommand())
        .containsExactly(
            "/bin/sh",
            "-c",
            io.nbsecrets.init.EnvFile.launcherScript(),
            Workload.LAUNCHER_NAME,
            "start-notebook.py");
    assertThat(session.getArgs()).isEqualTo(plain.spec().getArgs());
    assertThat(session.getEnv())
        .endsWith(new EnvVar(Workload.ENV_FILE_VARIABLE, Workload.ENV_FILE, null))
        .hasSize(plain.spec().getEnv().size() + 1);
    assertThat(session.getVolumeMounts())
        .extracting(VolumeMount::getName, VolumeMount::getMountPath, VolumeMount::getReadOnly)
        .endsWith(tuple(Workload.ENV_VOLUME, Workload.ENV_DIR, true));

    Container init = launched.getInitContainers().get(0);
    assertThat(init.getArgs()).endsWith("--env-file=" + Workload.ENV_FILE);
    assertThat(init.getVolumeMounts())
        .extracting(VolumeMount::getName, VolumeMount::getMountPath, VolumeMount::getReadOnly)
        .endsWith(tuple(Workload.ENV_VOLUME, Workload.ENV_DIR, null));

    Volume env = launched.getVolumes().get(launched.getVolumes().size() - 1);
    assertThat(env.getName()).isEqualTo(Workload.ENV_VOLUME);
    assertThat(env.getEmptyDir().getMedium()).isEqualTo("Memory");
    assertThat(env.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("10Mi"));

    // Nothing else differs from the same session exporting nothing.
    StatefulSet withEnv = Workload.statefulSet(in);
    assertThat(Workload.desiredHash(withEnv))
        .isNotEqualTo(Workload.desiredHash(Workload.statefulSet(plain)));
  }

  /**
   * The variables' file of values made of single quotes only, the worst case (each written as four
   * bytes), fits the in-memory volume sized from the sealed values alone.
   */
  @Test
  void theVariablesVolumeHoldsValuesOfSingleQuotesOnly() throws Exception {
    io.nbsecrets.crypto.Fernet fernet =
        io.nbsecrets.crypto.Fernet.fromKey(io.nbsecrets.crypto.Fernet.generateKey());
    for (int values : new int[] {1, 8, 40}) {
      java.util.Map<String, String> variables = new java.util.LinkedHashMap<>();
      long sealed = 0;
      for (int i = 0; i < values; i++) {
        String value = "'".repeat(io.nbsecrets.init.EnvFile.MAX_ENTRY_BYTES - 16);
        sealed += fernet.encrypt(value.getBytes(java.nio.charset.StandardCharsets.UTF_8)).length();
        variables.put("QUOTES_" + i, value);
      }
      long file =
          io.nbsecrets.init.EnvFile.render(variables)
              .getBytes(java.nio.charset.StandardCharsets.UTF_8)
              .length;
      Quantity limit = EnvLauncher.envVolume(sealed).getEmptyDir().getSizeLimit();
      assertThat(Quantity.getAmountInBytes(limit).longValue())
          .as("%d values of quotes: a file of %d bytes from %d sealed", values, file, sealed)
          .isGreaterThanOrEqualTo(file);
    }
  }

  @Test
  void aLiveSessionGetsTheRefreshSidecarAfterTheInitStepWithItsMountsAndLockDown() {
    NotebookSession s = WorkloadGoldenTest.envSession();
    s.getSpec()
        .setSecrets(
            new io.nbsecrets.model.SecretsSpec(
                "/home/jovyan/.secrets",
                null,
                true,
                io.nbsecrets.model.Refresh.Live,
                s.getSpec().getSecrets().getItems()));
    WorkloadInputs in = inputs(s, WorkloadGoldenTest.httpsWithCa());
    StatefulSet sts = Workload.statefulSet(in);
    List<Container> inits = sts.getSpec().getTemplate().getSpec().getInitContainers();
    assertThat(inits)
        .extracting(Container::getName, Container::getRestartPolicy)
        .containsExactly(
            tuple(Workload.INIT_CONTAINER, null), tuple(Workload.REFRESH_CONTAINER, "Always"));
    Container init = inits.get(0);
    Container sidecar = inits.get(1);
    assertThat(sidecar.getArgs().get(0)).isEqualTo("refresh");
    assertThat(sidecar.getArgs().subList(1, sidecar.getArgs().size()))
        .isEqualTo(init.getArgs().subList(1, init.getArgs().size()))
        .contains("--env-file=" + Workload.ENV_FILE);
    assertThat(sidecar.getVolumeMounts()).isEqualTo(init.getVolumeMounts());
    assertThat(sidecar.getSecurityContext()).isEqualTo(init.getSecurityContext());
    assertThat(sidecar.getEnv()).isEqualTo(init.getEnv());

    // Files only, values at start: no sidecar.
    assertThat(Workload.statefulSet(full()).getSpec().getTemplate().getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly(Workload.INIT_CONTAINER);
  }

  @Test
  void serviceExposesTheHttpPortOfTheSessionsPod() {
    Service svc = SessionService.service(WorkloadGoldenTest.fullSession());
    assertThat(svc.getMetadata().getName()).isEqualTo("analysis");
    assertThat(svc.getMetadata().getNamespace()).isEqualTo("team-a");
    assertThat(svc.getMetadata().getOwnerReferences().get(0).getController()).isTrue();
    assertThat(svc.getMetadata().getAnnotations()).isNullOrEmpty();
    assertThat(svc.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(svc.getSpec().getSelector()).isEqualTo(Labels.selector("analysis"));
    assertThat(svc.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("http");
              assertThat(p.getPort()).isEqualTo(9000);
              assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
            });
    assertThat(Workload.desiredHash(Workload.service(WorkloadGoldenTest.fullSession())))
        .isNotBlank();
  }
}
