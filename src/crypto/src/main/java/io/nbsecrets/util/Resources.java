package io.nbsecrets.util;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a role opened while starting, closed in the reverse order: each one even when another fails
 * to close. A role closes it when its start fails half-way, and again when it stops.
 */
public final class Resources implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Resources.class);
  private final List<AutoCloseable> opened = new ArrayList<>();

  /** Adds {@code resource} (to be closed before those added earlier) and returns it. */
  public <T extends AutoCloseable> T add(T resource) {
    opened.add(resource);
    return resource;
  }

  /**
   * Closes everything added, the last added first; a failure to close one is logged (which one, and
   * the exception's class: never its message, which might quote data) and does not stop it.
   */
  @Override
  public void close() {
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        // keep closing the rest; say which one failed (its class and the exception's, no data)
        LOG.warn(
            "closing {} failed: {}",
            opened.get(i).getClass().getSimpleName(),
            e.getClass().getSimpleName());
      }
    }
    opened.clear();
  }
}
