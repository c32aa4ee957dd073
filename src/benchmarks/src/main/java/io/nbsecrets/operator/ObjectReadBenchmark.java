package io.nbsecrets.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.module.blackbird.BlackbirdModule;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.nbsecrets.model.NotebookSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark command (not a test): CPU to read the Kubernetes objects the operator reads most (from
 * its watches and the answers to its requests), JSON to Java objects, per serialization: Fabric8's
 * default (the reference in the same run), the operator's ({@link OperatorSerialization}: without
 * {@code managedFields}), and the operator's with Jackson's reflection swapped for accessors
 * generated at first use (Jackson's Blackbird module: tried, not used, as it gained nothing here).
 * The objects were read with {@code kubectl get -o json --show-managed-fields} from a real
 * kube-apiserver under {@code bench sessions}: a session, its StatefulSet and ready pod, one store
 * record, and the session's Secret of 10 sealed values (values replaced by random bytes of the same
 * length). Median of {@value #RUNS} runs of {@value #READS} reads after {@value #WARMUP} warm-up
 * runs, the serializations' runs interleaved, thread CPU time.
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

  private record Sample(String name, Class<? extends HasMetadata> type, String json) {}

  public static void main(String[] args) {
    List<Sample> samples =
        List.of(
            new Sample("notebooksession", NotebookSession.class, read("notebooksession")),
            new Sample("statefulset", StatefulSet.class, read("statefulset")),
            new Sample("pod", Pod.class, read("pod")),
            new Sample("store-record", Secret.class, read("store-record")),
            new Sample("session-secret", Secret.class, read("session-secret")));
    Map<String, KubernetesSerialization> serializations = new LinkedHashMap<>();
    serializations.put("fabric8 default", new KubernetesSerialization());
    serializations.put("operator's (no managedFields)", OperatorSerialization.create());
    ObjectMapper blackbird = OperatorSerialization.mapper();
    blackbird.registerModule(new BlackbirdModule());
    serializations.put("operator's + Blackbird", new KubernetesSerialization(blackbird, true));
    System.out.printf(
        "%-16s %8s  %-34s %12s %8s%n", "object", "bytes", "serialization", "us/read", "ratio");
    List<KubernetesSerialization> all = List.copyOf(serializations.values());
    List<String> names = List.copyOf(serializations.keySet());
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
            "%-16s %8d  %-34s %12.1f %8.3f%n",
            sample.name(),
            sample.json().length(),
            names.get(s),
            median(runs[s]),
            median(runs[s]) / reference);
      }
    }
  }

  private static double median(double[] runs) {
    double[] sorted = runs.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static String read(String name) {
    String path = "objects/" + name + ".json";
    try (InputStream in = ObjectReadBenchmark.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double microsPerRead(KubernetesSerialization serialization, Sample sample) {
    long start = CPU.getCurrentThreadCpuTime();
    for (int i = 0; i < READS; i++) {
      HasMetadata object = serialization.unmarshal(sample.json(), sample.type());
      if (object.getMetadata().getName() == null) {
        throw new IllegalStateException("read without a name");
      }
    }
    return (CPU.getCurrentThreadCpuTime() - start) / 1e3 / READS;
  }
}
