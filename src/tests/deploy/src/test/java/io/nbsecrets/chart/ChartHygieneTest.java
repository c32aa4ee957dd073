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
}
