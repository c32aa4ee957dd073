package io.nbsecrets.dev;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the {@code dev} command runs: the product with a Kubernetes API, either the embedded mock
 * ({@link DevEnvironment}) or a real control plane ({@link ControlPlaneDev}). Both keep the same
 * dev contract: {@code endpoints.json}, {@code kubeconfig} and {@code sessions/<ns>/<name>/}.
 */
public interface DevAssembly extends AutoCloseable {
  /** What plays Kubernetes, for the banner. */
  String kubernetesKind();

  String kubernetesUrl();

  String apiUrl();

  /** A bearer token for each user bound to a namespace. */
  Map<String, String> tokens();

  default String token(String user) {
    return tokens().get(user);
  }

  /** An admin client of the Kubernetes API. */
  KubernetesClient client();

  /** Where the files of session {@code namespace/name} appear. */
  Path sessionDir(String namespace, String name);

  /** Writes a kubeconfig for kubectl. */
  void writeKubeconfig(Path file) throws IOException;

  @Override
  void close();
}
