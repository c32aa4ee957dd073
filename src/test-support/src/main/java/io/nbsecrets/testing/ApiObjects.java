package io.nbsecrets.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Kubernetes objects as a real kube-apiserver wrote them, for tests and benchmarks that read JSON,
 * taken under {@code bench sessions}: objects read with {@code kubectl get -o json
 * --show-managed-fields} (a session, its StatefulSet and ready pod, one store record, and the
 * session's Secret of 10 sealed values, the values replaced by random bytes of the same length),
 * and watch events as the server sent them ({@code kubectl get --raw '...?watch=true'}, the first
 * line: a session, its StatefulSet and its running pod).
 */
public final class ApiObjects {
  /** The objects there are, by name. */
  public static final String NOTEBOOK_SESSION = "notebooksession";

  public static final String STATEFUL_SET = "statefulset";
  public static final String POD = "pod";
  public static final String STORE_RECORD = "store-record";
  public static final String SESSION_SECRET = "session-secret";
  public static final String NOTEBOOK_SESSION_EVENT = "notebooksession-event";
  public static final String STATEFUL_SET_EVENT = "statefulset-event";
  public static final String POD_EVENT = "pod-event";

  private ApiObjects() {}

  /** The JSON of object {@code name}, one of the names above. */
  public static String json(String name) {
    String path = "objects/" + name + ".json";
    try (InputStream in = ApiObjects.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
