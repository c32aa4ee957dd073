package io.nbsecrets.keys;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key material that follows one named Kubernetes object (the session keys Secret, the public-key
 * ConfigMap, the platform key Secret), so a key rotation reaches a running process without a
 * restart. An informer watches the object (one name: RBAC may grant list and watch by {@code
 * resourceNames}); each change is parsed and swapped in atomically. A change that does not parse,
 * or a deleted object, keeps the last good value and logs why (never key material): losing keys
 * because of a bad edit would make every record unreadable.
 *
 * <p>{@link #refresh()} reads the object now, for a caller that met a key id it does not hold yet
 * (a record sealed under a key added moments ago, before the watch event arrived).
 */
public final class LiveKey<T> implements Supplier<T>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveKey.class);

  private final String what;
  private final AtomicReference<T> value;
  private final Supplier<T> reader;
  private final Consumer<T> onChange;
  private volatile SharedIndexInformer<?> informer;

  private LiveKey(String what, T initial, Supplier<T> reader, Consumer<T> onChange) {
    this.what = what;
    this.value = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    this.reader = reader;
    this.onChange = onChange;
  }

  /** A value that never changes (keys from files, tests). */
  public static <T> LiveKey<T> fixed(T value) {
    return new LiveKey<>("fixed key", value, null, v -> {});
  }

  /**
   * Follows {@code resource}, parsing it with {@code parse}; {@code initial} is the value now.
   * {@code onChange} runs after each swap (logging, metrics).
   */
  public static <R extends HasMetadata, T> LiveKey<T> watch(
      String what, Resource<R> resource, Function<R, T> parse, T initial, Consumer<T> onChange) {
    LiveKey<T> live =
        new LiveKey<>(
            what,
            initial,
            () -> {
              R object = resource.get();
              return object == null ? null : parse.apply(object);
            },
            onChange);
    live.informer =
        resource.inform(
            new ResourceEventHandler<R>() {
              @Override
              public void onAdd(R object) {
                live.update(() -> parse.apply(object));
              }

              @Override
              public void onUpdate(R oldObject, R newObject) {
                live.update(() -> parse.apply(newObject));
              }

              @Override
              public void onDelete(R object, boolean unknownFinalState) {
                LOG.warn("{} was deleted; keeping the keys loaded before", live.what);
              }
            });
    return live;
  }

  @Override
  public T get() {
    return value.get();
  }

  /** Reads the object now; returns the value afterwards (the old one if the read failed). */
  public T refresh() {
    if (reader != null) {
      update(reader);
    }
    return value.get();
  }

  private void update(Supplier<T> parse) {
    T next;
    try {
      next = parse.get();
    } catch (RuntimeException e) {
      // Parse errors name entries and key ids only (see SessionKeys, PlatformKeys).
      LOG.error("{} cannot be used, keeping the keys loaded before: {}", what, e.getMessage());
      return;
    }
    if (next == null) {
      return;
    }
    T previous = value.getAndSet(next);
    if (!next.equals(previous)) {
      onChange.accept(next);
    }
  }

  @Override
  public void close() {
    SharedIndexInformer<?> i = informer;
    if (i != null) {
      i.close();
    }
  }

  @Override
  public String toString() {
    return "LiveKey{" + what + "}";
  }
}
