package io.nbsecrets.chart;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Renders the chart with the Helm embedded in helm-java (offline) and parses the result. */
final class ChartRendering {
  static final Path CHART = Path.of("charts/nbsecrets");
  static final String RELEASE = "nbsecrets";
  static final String NAMESPACE = "nbsecrets";
  static final String KUBE_VERSION = "v1.31.0";
  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private ChartRendering() {}

  /** helm template with these values (a YAML document, may be empty) and --set pairs. */
  static String render(String valuesYaml, Map<String, Object> sets) {
    TemplateCommand template =
        new Helm(CHART)
            .template()
            .withName(RELEASE)
            .withNamespace(NAMESPACE)
            .withKubeVersion(KUBE_VERSION);
    if (valuesYaml != null && !valuesYaml.isBlank()) {
      try {
        Path file = Files.createTempFile("nbsecrets-values", ".yaml");
        Files.writeString(file, valuesYaml);
        file.toFile().deleteOnExit();
        template = template.withValuesFile(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (Map.Entry<String, Object> e : sets.entrySet()) {
      template = template.set(e.getKey(), e.getValue());
    }
    return template.call();
  }

  /**
   * helm-java's template leaves hooks out; this renders a copy of the chart whose hook annotations
   * are removed, so the helm test pod is rendered like any other object.
   */
  static String renderWithHooks(String valuesYaml) {
    try {
      Path copy = Files.createTempDirectory("nbsecrets-chart");
      try (var paths = Files.walk(CHART)) {
        for (Path p : paths.toList()) {
          Path target = copy.resolve(CHART.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(target);
          } else {
            String text = Files.readString(p);
            if (p.getFileName().toString().endsWith(".yaml") && p.toString().contains("tests")) {
              text = text.replaceAll("(?m)^\\s*helm\\.sh/hook[-a-z]*:.*\\n", "");
            }
            Files.writeString(target, text);
          }
        }
      }
      TemplateCommand template =
          new Helm(copy)
              .template()
              .withName(RELEASE)
              .withNamespace(NAMESPACE)
              .withKubeVersion(KUBE_VERSION);
      if (valuesYaml != null && !valuesYaml.isBlank()) {
        Path file = Files.createTempFile("nbsecrets-values", ".yaml");
        Files.writeString(file, valuesYaml);
        template = template.withValuesFile(file);
      }
      return template.call();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String render(String valuesYaml) {
    return render(valuesYaml, Map.of());
  }

  /** The non-empty YAML documents of a multi-document stream. */
  static List<String> documents(String yaml) {
    List<String> out = new ArrayList<>();
    for (String doc : DOCUMENT_SEPARATOR.split(yaml)) {
      boolean content =
          doc.lines().anyMatch(l -> !l.isBlank() && !l.stripLeading().startsWith("#"));
      if (content) {
        out.add(doc);
      }
    }
    return out;
  }

  static List<HasMetadata> objects(String yaml) {
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : documents(yaml)) {
      KubernetesResource r = SERIALIZATION.unmarshal(doc, KubernetesResource.class);
      out.add((HasMetadata) r);
    }
    return out;
  }

  static List<HasMetadata> objects(String valuesYaml, Map<String, Object> sets) {
    return objects(render(valuesYaml, sets));
  }

  @SuppressWarnings("unchecked")
  static <T extends HasMetadata> List<T> ofType(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(o -> (T) o).toList();
  }

  static <T extends HasMetadata> T named(List<HasMetadata> objects, Class<T> type, String name) {
    return ofType(objects, type).stream()
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }
}
