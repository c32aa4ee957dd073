package io.nbsecrets.dev;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.model.NotebookSession;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stand-in for Kubernetes' garbage collector, which the mock API server lacks: deletes Secrets,
 * StatefulSets, Services and Pods whose controller owner (a NotebookSession or a StatefulSet) no
 * longer exists. Polls; the real collector works from watches, which only changes the latency.
 */
public final class FakeGarbageCollector implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FakeGarbageCollector.class);
  private static final Set<String> OWNER_KINDS = Set.of(NotebookSession.KIND, "StatefulSet");
  private final KubernetesClient client;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "fake-gc");
            t.setDaemon(true);
            return t;
          });

  public FakeGarbageCollector(KubernetesClient client) {
    this.client = client;
  }

  public FakeGarbageCollector start(long periodMillis) {
    timer.scheduleWithFixedDelay(
        this::collectSafely, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    return this;
  }

  private void collectSafely() {
    try {
      collect();
    } catch (RuntimeException e) {
      LOG.debug("garbage collection pass failed: {}", e.getMessage());
    }
  }

  /** One pass; returns how many objects it deleted. */
  public int collect() {
    // Dependents first, owners second: an owner is created before its dependents, so every owner
    // of a listed dependent that still exists is in the second list. (Owners first would judge a
    // pod created between the two lists, with its StatefulSet, an orphan.)
    List<? extends HasMetadata> owned =
        Stream.of(
                client.secrets().inAnyNamespace().list().getItems(),
                client.configMaps().inAnyNamespace().list().getItems(),
                client.apps().statefulSets().inAnyNamespace().list().getItems(),
                client.services().inAnyNamespace().list().getItems(),
                client.pods().inAnyNamespace().list().getItems())
            .flatMap(List::stream)
            .toList();
    Set<String> live = new HashSet<>();
    client.resources(NotebookSession.class).inAnyNamespace().list().getItems().stream()
        .map(s -> s.getMetadata().getUid())
        .forEach(live::add);
    client.apps().statefulSets().inAnyNamespace().list().getItems().stream()
        .map(s -> s.getMetadata().getUid())
        .forEach(live::add);
    int deleted = 0;
    for (HasMetadata o : owned) {
      List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
      if (refs == null || refs.isEmpty()) {
        continue;
      }
      // Like the real collector: an object goes when all its owners are gone. Owners of kinds
      // this stand-in does not know are never judged.
      boolean judged = refs.stream().allMatch(r -> OWNER_KINDS.contains(r.getKind()));
      boolean orphan = judged && refs.stream().noneMatch(r -> live.contains(r.getUid()));
      if (orphan) {
        client.resource(o).delete();
        deleted++;
        LOG.info(
            "garbage-collected {} {}/{}",
            o.getKind(),
            o.getMetadata().getNamespace(),
            o.getMetadata().getName());
      }
    }
    return deleted;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
