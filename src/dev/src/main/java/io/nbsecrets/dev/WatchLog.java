package io.nbsecrets.dev;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The most recent changes of the embedded API server's objects, by resource version: what an HTTP
 * watch from resource version N is answered with (the changes after N). The Fabric8 mock only
 * streams watches over WebSocket, which its own client uses; client-go (kubectl) watches over plain
 * HTTP, which the mock cannot stream, so {@link ApiServerDispatcher} answers those from this log.
 */
final class WatchLog {
  /** One change: ADDED, MODIFIED or DELETED, with the object's state after it. */
  record Event(long resourceVersion, String type, JsonNode object) {}

  /** Receives the changes after it subscribed, in order, on the writer's thread. */
  interface Listener {
    void changed(Event event);
  }

  private final List<Listener> listeners = new ArrayList<>();
  private final int capacity;
  private final ArrayDeque<Event> events = new ArrayDeque<>();
  private long forgottenUpTo;
  private long latest;

  WatchLog(int capacity) {
    this.capacity = capacity;
  }

  synchronized void add(String type, JsonNode object, long resourceVersion) {
    events.addLast(new Event(resourceVersion, type, object));
    latest = Math.max(latest, resourceVersion);
    while (events.size() > capacity) {
      forgottenUpTo = Math.max(forgottenUpTo, events.removeFirst().resourceVersion());
    }
    Event added = events.peekLast();
    for (Listener l : List.copyOf(listeners)) {
      try {
        l.changed(added);
      } catch (RuntimeException e) {
        listeners.remove(l);
      }
    }
  }

  /**
   * Replays the changes after {@code resourceVersion} to {@code listener}, then passes it every new
   * change until the returned action is run; null (and nothing passed) when some of those changes
   * were forgotten.
   */
  synchronized Runnable subscribe(long resourceVersion, Listener listener) {
    List<Event> missed = since(resourceVersion);
    if (missed == null) {
      return null;
    }
    missed.forEach(listener::changed);
    listeners.add(listener);
    return () -> {
      synchronized (this) {
        listeners.remove(listener);
      }
    };
  }

  /** The changes after {@code resourceVersion}, in order; null when some were forgotten. */
  synchronized List<Event> since(long resourceVersion) {
    if (resourceVersion < forgottenUpTo) {
      return null;
    }
    List<Event> out = new ArrayList<>();
    for (Event e : events) {
      if (e.resourceVersion() > resourceVersion) {
        out.add(e);
      }
    }
    out.sort(Comparator.comparingLong(Event::resourceVersion));
    return out;
  }

  /** The oldest resource version a watch can start from. */
  synchronized long oldest() {
    return forgottenUpTo;
  }

  /** The resource version of the latest change. */
  synchronized long latest() {
    return latest;
  }
}
