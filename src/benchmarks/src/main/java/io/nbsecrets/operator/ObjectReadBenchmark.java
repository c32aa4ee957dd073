package io.nbsecrets.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.testing.ApiObjects;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark command (not a test): CPU to read the Kubernetes objects the operator reads most, JSON
 * to Java objects, per serialization: Fabric8's default (the reference in the same run), the
 * operator's before its watch-event reader (without {@code managedFields}, {@link
 * OperatorSerialization#mapper()}), with it but before its slim readers (pods and StatefulSets read
 * whole), and the operator's ({@link OperatorSerialization#create()}, {@link SlimReaders}). Each
 * object is read twice: as the answer to a request (read as its class) and as a watch event's
 * object (a {@code MODIFIED} event read as a {@link WatchEvent}, as the informers read them). The
 * objects are {@link ApiObjects}: written by a real kube-apiserver under {@code bench sessions}.
 * Median of {@value #RUNS} runs of {@value #READS} reads after {@value #WARMUP} warm-up runs, the
 * serializations' runs interleaved, thread CPU time.
 *
 * <p>Run: {@code ./mvnw -q -pl src/benchmarks -am -DskipTests package exec:java
 * -Dexec.mainClass=io.nbsecrets.operator.ObjectReadBenchmark}. Results: docs/benchmarks.md.
 */
public final class ObjectReadBenchmark {
  private static final int READS = 100;
  private static final int WARMUP = 30;
  private static final int RUNS = 80;
  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  private ObjectReadBenchmark() {}

  private record Sample(String name, Class<?> type, String json) {}

  public static void main(String[] args) {
    Map<String, Class<? extends HasMetadata>> objects = new LinkedHashMap<>();
    objects.put(ApiObjects.NOTEBOOK_SESSION, NotebookSession.class);
    objects.put(ApiObjects.STATEFUL_SET, StatefulSet.class);
    objects.put(ApiObjects.POD, Pod.class);
    objects.put(ApiObjects.STORE_RECORD, Secret.class);
    objects.put(ApiObjects.SESSION_SECRET, Secret.class);
    List<Sample> samples = new ArrayList<>();
    objects.forEach(
        (name, type) -> {
          String json = ApiObjects.json(name);
          samples.add(new Sample(name, type, json));
          samples.add(
              new Sample(
                  name + " event",
                  WatchEvent.class,
                  "{\"type\":\"MODIFIED\",\"object\":" + json.strip() + "}"));
        });
    Map<String, KubernetesSerialization> serializations = new LinkedHashMap<>();
    serializations.put("fabric8 default", new KubernetesSerialization());
    serializations.put(
        "no managedFields", new KubernetesSerialization(OperatorSerialization.mapper(), true));
    serializations.put("+ watch events", wholeObjects());
    serializations.put("operator's (+ slim readers)", OperatorSerialization.create());
    // So that all read a session as a NotebookSession, as the operator's serialization does by
    // itself (before, a session's event was read as a generic resource, then converted again).
    serializations.values().forEach(s -> s.registerKubernetesResource(NotebookSession.class));
    System.out.printf(
        "%-22s %8s  %-28s %12s %8s%n", "object", "bytes", "serialization", "us/read", "ratio");
    List<KubernetesSerialization> all = List.copyOf(serializations.values());
    List<String> names = List.copyOf(serializations.keySet());
    // Every sample read first by every serialization, so that the first sample measured does not
    // pay for the JIT's start.
    for (int r = 0; r < WARMUP; r++) {
      for (Sample sample : samples) {
        all.forEach(s -> microsPerRead(s, sample));
      }
    }
    for (Sample sample : samples) {
      // Runs interleaved, so that no serialization gains from coming later (a warmer JIT).
      double[][] runs = new double[all.size()][RUNS];
      for (int r = -WARMUP; r < RUNS; r++) {
        for (int s = 0; s < all.size(); s++) {
          double micros = microsPerRead(all.get(s), sample);
          if (r >= 0) {
            runs[s][r] = micros;
          }
        }
      }
      double reference = median(runs[0]);
      for (int s = 0; s < all.size(); s++) {
        System.out.printf(
            "%-22s %8d  %-28s %12.1f %8.3f%n",
            sample.name(),
            sample.json().length(),
            names.get(s),
            median(runs[s]),
            median(runs[s]) / reference);
      }
    }
  }

  /** The operator's serialization before its slim readers: pods and StatefulSets read whole. */
  private static KubernetesSerialization wholeObjects() {
    ObjectMapper mapper = OperatorSerialization.mapper();
    mapper.registerModule(
        new SimpleModule().addDeserializer(WatchEvent.class, new WatchEventReader()));
    KubernetesSerialization serialization = new KubernetesSerialization(mapper, true);
    serialization.registerKubernetesResource(NotebookSession.class);
    return serialization;
  }

  private static double median(double[] runs) {
    double[] sorted = runs.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static double microsPerRead(KubernetesSerialization serialization, Sample sample) {
    long start = CPU.getCurrentThreadCpuTime();
    for (int i = 0; i < READS; i++) {
      Object read = serialization.unmarshal(sample.json(), sample.type());
      HasMetadata object =
          (HasMetadata) (read instanceof WatchEvent event ? event.getObject() : read);
      if (object.getMetadata().getName() == null) {
        throw new IllegalStateException("read without a name");
      }
    }
    return (CPU.getCurrentThreadCpuTime() - start) / 1e3 / READS;
  }
}
