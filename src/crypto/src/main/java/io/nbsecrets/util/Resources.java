package io.nbsecrets.util;

import java.util.ArrayList;
import java.util.List;

/**
 * What a role opened while starting, closed in the reverse order: each one even when another fails
 * to close. A role closes it when its start fails half-way, and again when it stops.
 */
public final class Resources implements AutoCloseable {
  private final List<AutoCloseable> opened = new ArrayList<>();

  /** Adds {@code resource} (to be closed before those added earlier) and returns it. */
  public <T extends AutoCloseable> T add(T resource) {
    opened.add(resource);
    return resource;
  }

  /** Closes everything added, the last added first; a failure to close one does not stop it. */
  @Override
  public void close() {
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception ignored) {
        // keep closing the rest
      }
    }
    opened.clear();
  }
}
