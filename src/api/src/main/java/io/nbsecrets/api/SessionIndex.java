package io.nbsecrets.api;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.nbsecrets.model.MountedSecret;
import io.nbsecrets.model.NotebookSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SessionUsage} from an informer on {@code NotebookSession}s, indexed by {@code spec.user}:
 * a request costs a lookup in memory, never a call to the API server. The cache holds the sessions
 * of the watched namespaces (all when none are given); until every informer has synced, and
 * whenever one is not running, usage is unknown rather than empty (an empty list would tell a user
 * a secret is unused). Informers retry after any failure. Needs {@code list} and {@code watch} on
 * notebooksessions.
 */
public final class SessionIndex implements SessionUsage, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SessionIndex.class);
  private static final String BY_USER = "spec.user";

  private final List<SharedIndexInformer<NotebookSession>> informers;

  private SessionIndex(List<SharedIndexInformer<NotebookSession>> informers) {
    this.informers = informers;
  }

  /**
   * Starts caching sessions (without waiting for the first list: the API serves meanwhile, with
   * usage unknown).
   *
   * @param namespaces where sessions live; empty: every namespace
   */
  public static SessionIndex start(KubernetesClient client, List<String> namespaces) {
    List<SharedIndexInformer<NotebookSession>> informers = new ArrayList<>();
    if (namespaces.isEmpty()) {
      informers.add(client.resources(NotebookSession.class).inAnyNamespace().runnableInformer(0));
    } else {
      for (String namespace : namespaces) {
        informers.add(
            client.resources(NotebookSession.class).inNamespace(namespace).runnableInformer(0));
      }
    }
    for (SharedIndexInformer<NotebookSession> informer : informers) {
      informer.addIndexers(Map.of(BY_USER, SessionIndex::users));
      // Keep trying after any failure (the API server away at start, RBAC not applied yet, a
      // watch error): a stopped informer would answer from a frozen cache.
      informer.exceptionHandler(
          (started, failure) -> {
            LOG.warn(
                "the session cache failed ({}); trying again", failure.getClass().getSimpleName());
            return true;
          });
      informer.start();
    }
    return new SessionIndex(informers);
  }

  private static List<String> users(NotebookSession session) {
    return session.getSpec() == null || session.getSpec().getUser() == null
        ? List.of()
        : List.of(session.getSpec().getUser());
  }

  @Override
  public Optional<List<Use>> uses(String user) {
    if (!informers.stream().allMatch(i -> i.hasSynced() && i.isRunning())) {
      return Optional.empty();
    }
    List<Use> uses = new ArrayList<>();
    for (SharedIndexInformer<NotebookSession> informer : informers) {
      for (NotebookSession session : informer.getIndexer().byIndex(BY_USER, user)) {
        if (session.getStatus() == null || session.getStatus().getSecrets() == null) {
          continue;
        }
        for (MountedSecret mounted : session.getStatus().getSecrets()) {
          if (mounted.getName() != null && mounted.getVersion() != null) {
            uses.add(
                new Use(
                    mounted.getName(),
                    mounted.getVersion(),
                    Boolean.TRUE.equals(mounted.getStale()),
                    session.getMetadata().getNamespace(),
                    session.getMetadata().getName()));
          }
        }
      }
    }
    return Optional.of(uses);
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
