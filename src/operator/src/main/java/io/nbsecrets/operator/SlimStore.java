package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * An informer's store that keeps of each object only what the operator reads of it ({@code slim},
 * which makes a new object and leaves the one it is given as it is), so that a cache of thousands
 * of sessions' objects does not hold what no reconcile reads: the message of an Event about a pod
 * ({@link PodMountFailures#slim}). (Pods and StatefulSets need none: the operator's client reads
 * them slim, {@link SlimReaders}.)
 *
 * <p>The event filters see slim copies too: an update's old object, the additions of the first list
 * and the deletions a re-list finds come from this store (a watch event's new object does not). So
 * a filter, like a reconcile, may read only what {@code slim} keeps, and a new read of such an
 * object belongs in its {@code slim} as well.
 *
 * <p>Only where one informer fills it ({@link #fitsOneInformer}).
 */
final class SlimStore<T extends HasMetadata> implements ItemStore<T> {
  private final BasicItemStore<T> store = new BasicItemStore<>(Cache::metaNamespaceKeyFunc);
  private final UnaryOperator<T> slim;

  SlimStore(UnaryOperator<T> slim) {
    this.slim = slim;
  }

  /**
   * Whether an informer may be given a store of its own: only when it is one informer. With several
   * watched namespaces JOSDK makes one informer per namespace, all given the same store, and each
   * one's re-list would drop the other namespaces' objects from it.
   */
  static boolean fitsOneInformer(Set<String> effectiveNamespaces) {
    return effectiveNamespaces.size() == 1;
  }

  /** A copy of {@code object}'s metadata without its managed fields; null when it has none. */
  static ObjectMeta metadata(HasMetadata object) {
    if (object.getMetadata() == null) {
      return null;
    }
    ObjectMeta meta = new ObjectMetaBuilder(object.getMetadata()).build();
    meta.setManagedFields(null);
    return meta;
  }

  @Override
  public String getKey(T object) {
    return store.getKey(object);
  }

  @Override
  public T put(String key, T object) {
    return store.put(key, slim.apply(object));
  }

  @Override
  public T remove(String key) {
    return store.remove(key);
  }

  @Override
  public Stream<String> keySet() {
    return store.keySet();
  }

  @Override
  public Stream<T> values() {
    return store.values();
  }

  @Override
  public int size() {
    return store.size();
  }

  @Override
  public T get(String key) {
    return store.get(key);
  }
}
