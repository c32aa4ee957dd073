package io.nbsecrets.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What operators of well-kept charts expect to set: the log's format and level, an image digest.
 */
class ChartHygieneTest {
  private static final String ROTATION = "rotation: {enabled: true, run: r1}\n";

  private static List<Container> containers(List<HasMetadata> objects) {
    List<Container> out = new ArrayList<>();
    ChartRendering.ofType(objects, Deployment.class)
        .forEach(d -> out.addAll(d.getSpec().getTemplate().getSpec().getContainers()));
    ChartRendering.ofType(objects, Job.class)
        .forEach(j -> out.addAll(j.getSpec().getTemplate().getSpec().getContainers()));
    return out;
  }

  private static String env(Container c, String name) {
    return c.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .map(EnvVar::getValue)
        .findFirst()
        .orElse(null);
  }

  @Test
  void everyContainerLogsInTheFormatAndAtTheLevelAsked() {
    List<Container> defaults = containers(ChartRendering.objects(ROTATION, Map.of()));
    assertThat(defaults).hasSizeGreaterThanOrEqualTo(3); // operator, api, rotation
    assertThat(defaults)
        .allSatisfy(
            c -> {
              assertThat(env(c, "NBSECRETS_LOG_FORMAT")).isEqualTo("text");
              assertThat(env(c, "NBSECRETS_LOG_LEVEL")).isEqualTo("INFO");
            });
    List<Container> json =
        containers(
            ChartRendering.objects(ROTATION + "logging: {format: json, level: DEBUG}\n", Map.of()));
    assertThat(json)
        .allSatisfy(
            c -> {
              assertThat(env(c, "NBSECRETS_LOG_FORMAT")).isEqualTo("json");
              assertThat(env(c, "NBSECRETS_LOG_LEVEL")).isEqualTo("DEBUG");
            });
    assertThatThrownBy(() -> ChartRendering.render("logging: {format: yaml}"))
        .hasMessageContaining("/logging/format");
  }

  @Test
  void anImageDigestPinsEveryContainerAndTheSessionsInitStep() {
    String digest = "sha256:" + "ab".repeat(32);
    List<HasMetadata> objects =
        ChartRendering.objects(ROTATION + "image: {digest: " + digest + "}\n", Map.of());
    assertThat(containers(objects))
        .allSatisfy(
            c -> assertThat(c.getImage()).isEqualTo("ghcr.io/nbsecrets/nbsecrets@" + digest));
    Container operator =
        containers(objects).stream()
            .filter(c -> c.getName().equals("operator"))
            .findFirst()
            .orElseThrow();
    assertThat(operator.getArgs()).contains("--init-image=ghcr.io/nbsecrets/nbsecrets@" + digest);
    assertThatThrownBy(() -> ChartRendering.render("image: {digest: latest}"))
        .hasMessageContaining("/image/digest");
  }

  private static Deployment deployment(List<HasMetadata> objects, String name) {
    return ChartRendering.named(objects, Deployment.class, name);
  }

  @Test
  void schedulingLabelsAndExtrasReachEachComponentsPod() {
    List<HasMetadata> objects =
        ChartRendering.objects(
            """
            operator:
              priorityClassName: platform-critical
              podLabels: {team: ml, app.kubernetes.io/name: not-this}
              topologySpreadConstraints:
                - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}
              extraArgs: [--management-port=9090]
              extraVolumes: [{name: extra, emptyDir: {}}]
              extraVolumeMounts: [{name: extra, mountPath: /extra}]
            api:
              topologySpreadConstraints:
                - maxSkew: 2
                  topologyKey: topology.kubernetes.io/zone
                  whenUnsatisfiable: DoNotSchedule
                  labelSelector: {matchLabels: {mine: "yes"}}
            """,
            Map.of());
    var operator =
        deployment(objects, ChartRendering.RELEASE + "-operator").getSpec().getTemplate();
    assertThat(operator.getSpec().getPriorityClassName()).isEqualTo("platform-critical");
    assertThat(operator.getMetadata().getLabels())
        .containsEntry("team", "ml")
        .containsEntry("app.kubernetes.io/name", "nbsecrets");
    var spread = operator.getSpec().getTopologySpreadConstraints().get(0);
    assertThat(spread.getMaxSkew()).isEqualTo(1);
    assertThat(spread.getLabelSelector().getMatchLabels())
        .containsEntry("app.kubernetes.io/component", "operator");
    Container container = operator.getSpec().getContainers().get(0);
    assertThat(container.getArgs()).endsWith("--management-port=9090");
    assertThat(operator.getSpec().getVolumes()).anyMatch(v -> v.getName().equals("extra"));
    assertThat(container.getVolumeMounts())
        .anyMatch(m -> m.getName().equals("extra") && m.getMountPath().equals("/extra"));
    var api = deployment(objects, ChartRendering.RELEASE + "-api").getSpec().getTemplate();
    assertThat(
            api.getSpec().getTopologySpreadConstraints().get(0).getLabelSelector().getMatchLabels())
        .containsExactly(Map.entry("mine", "yes"));
    assertThat(api.getSpec().getPriorityClassName()).isNull();
  }

  @Test
  void securityContextsAreTheRestrictedDefaultsWithTheOverridesMergedIn() {
    List<HasMetadata> defaults = ChartRendering.objects("", Map.of());
    var pod =
        deployment(defaults, ChartRendering.RELEASE + "-api").getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
    assertThat(pod.getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem())
        .isTrue();
    List<HasMetadata> objects =
        ChartRendering.objects(
            "podSecurityContext: {runAsUser: 4000, fsGroup: 4000}\n"
                + "containerSecurityContext: {runAsUser: 4000}\n",
            Map.of());
    var changed =
        deployment(objects, ChartRendering.RELEASE + "-api").getSpec().getTemplate().getSpec();
    assertThat(changed.getSecurityContext().getRunAsUser()).isEqualTo(4000L);
    assertThat(changed.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(changed.getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
    var c = changed.getContainers().get(0).getSecurityContext();
    assertThat(c.getRunAsUser()).isEqualTo(4000L);
    assertThat(c.getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getCapabilities().getDrop()).containsExactly("ALL");
  }

  /**
   * The alerts name metrics the code registers (Micrometer names as Prometheus writes them) and
   * failure reasons the operator has. PromQL syntax itself is not checked here (no promtool).
   */
  @Test
  void theAlertsNameMetricsAndReasonsThatExist() throws Exception {
    assertThat(ChartRendering.objects("", Map.of()))
        .noneMatch(o -> o.getKind().equals("PrometheusRule"));
    String rule =
        ChartRendering.render("prometheusRule: {enabled: true, failingFor: 10m}", Map.of());
    assertThat(rule)
        .contains("kind: PrometheusRule", "alert: NbsecretsSessionsFailing", "for: 10m")
        .contains("alert: NbsecretsStaleCheckFailing", "alert: NbsecretsKeyRotationStuck");
    StringBuilder code = new StringBuilder();
    try (var files = java.nio.file.Files.walk(java.nio.file.Path.of("src"))) {
      for (var f :
          files
              .filter(
                  f -> f.toString().contains("/src/main/java/") && f.toString().endsWith(".java"))
              .toList()) {
        code.append(java.nio.file.Files.readString(f));
      }
    }
    var metrics = java.util.regex.Pattern.compile("\\b(nbsecrets_[a-z_]+)").matcher(rule);
    int found = 0;
    while (metrics.find()) {
      String name = metrics.group(1).replaceAll("_total$", "").replace('_', '.');
      assertThat(code.toString()).as("metric %s in main code", name).contains("\"" + name + "\"");
      found++;
    }
    assertThat(found).isGreaterThanOrEqualTo(3);
    var reasons = java.util.regex.Pattern.compile("reason=~\"([A-Za-z|]+)\"").matcher(rule);
    assertThat(reasons.find()).isTrue();
    String enumSource =
        java.nio.file.Files.readString(
            java.nio.file.Path.of("src/operator/src/main/java/io/nbsecrets/operator/Reason.java"));
    for (String reason : reasons.group(1).split("\\|")) {
      assertThat(enumSource).as("reason %s", reason).contains("(\"" + reason + "\")");
    }
  }

  @Test
  void serviceAccountsCanBeBroughtAndNamedAndRbacBindsThoseNames() {
    List<HasMetadata> own =
        ChartRendering.objects(
            ROTATION
                + "serviceAccount: {create: false, names: {operator: op-sa, api: api-sa,"
                + " rotation: rot-sa}}\n",
            Map.of());
    assertThat(ChartRendering.ofType(own, io.fabric8.kubernetes.api.model.ServiceAccount.class))
        .isEmpty();
    assertThat(
            ChartRendering.ofType(own, Deployment.class).stream()
                .map(d -> d.getSpec().getTemplate().getSpec().getServiceAccountName()))
        .containsExactlyInAnyOrder("op-sa", "api-sa");
    assertThat(
            ChartRendering.ofType(own, Job.class).stream()
                .map(j -> j.getSpec().getTemplate().getSpec().getServiceAccountName()))
        .containsExactly("rot-sa");
    List<String> subjects = new ArrayList<>();
    ChartRendering.ofType(own, io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class)
        .forEach(b -> b.getSubjects().forEach(x -> subjects.add(x.getName())));
    ChartRendering.ofType(own, io.fabric8.kubernetes.api.model.rbac.RoleBinding.class)
        .forEach(b -> b.getSubjects().forEach(x -> subjects.add(x.getName())));
    assertThat(subjects).contains("op-sa", "api-sa", "rot-sa").allMatch(n -> n.endsWith("-sa"));

    List<HasMetadata> combined =
        ChartRendering.objects(
            "mode: combined\nserviceAccount: {names: {operator: one}}\n", Map.of());
    assertThat(
            ChartRendering.ofType(combined, io.fabric8.kubernetes.api.model.ServiceAccount.class))
        .extracting(a -> a.getMetadata().getName())
        .containsExactly("one");
    assertThat(
            ChartRendering.ofType(combined, Deployment.class)
                .get(0)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getServiceAccountName())
        .isEqualTo("one");
  }
}
