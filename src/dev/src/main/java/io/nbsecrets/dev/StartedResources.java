package io.nbsecrets.dev;

import java.util.ArrayList;
import java.util.List;

/**
 * What a dev assembly has started, to be closed in the reverse order: the last started first, as it
 * may depend on what came before. A failure to close one does not keep the rest open.
 */
final class StartedResources implements AutoCloseable {
  private final List<AutoCloseable> resources = new ArrayList<>();

  /** Adds a resource that was started, to be closed before every one added earlier. */
  void add(AutoCloseable resource) {
    resources.add(resource);
  }

  /** Closes every resource, last added first, and forgets them. */
  @Override
  public void close() {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception ignored) {
        // keep closing the rest
      }
    }
    resources.clear();
  }
}
