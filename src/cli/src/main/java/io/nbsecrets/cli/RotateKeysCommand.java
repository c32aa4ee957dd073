package io.nbsecrets.cli;

import static io.nbsecrets.config.NbsecretsSettings.ROTATION_BATCH_SIZE;
import static io.nbsecrets.config.NbsecretsSettings.ROTATION_KEEP_OLD_KEYS;
import static io.nbsecrets.config.NbsecretsSettings.ROTATION_KEY_ALGORITHM;
import static io.nbsecrets.config.NbsecretsSettings.ROTATION_NEW_TRANSIT_VERSION;
import static io.nbsecrets.config.NbsecretsSettings.ROTATION_PARALLELISM;
import static io.nbsecrets.config.NbsecretsSettings.ROTATION_PLATFORM;
import static io.nbsecrets.config.NbsecretsSettings.ROTATION_PROPAGATION_WAIT_SECONDS;
import static io.nbsecrets.config.NbsecretsSettings.ROTATION_RUN;
import static io.nbsecrets.config.NbsecretsSettings.ROTATION_TRANSIT;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nbsecrets.cli.SettingFlags.Flag;
import io.nbsecrets.config.NbsecretsSettings;
import io.nbsecrets.config.Settings;
import io.nbsecrets.config.Stores;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.rotation.PlatformKeyRotation;
import io.nbsecrets.rotation.RewrapCounts.Outcome;
import io.nbsecrets.rotation.RotationOptions;
import io.nbsecrets.rotation.RotationResult;
import io.nbsecrets.rotation.SessionKeyRotation;
import io.nbsecrets.rotation.TransitRotation;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultTransit;
import io.nbsecrets.util.Counts;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Rotates the session key pair (default) or the platform key, and re-wraps every record (or user
 * key) under the new key. Safe to interrupt: running it again resumes. See docs/key-rotation.md.
 */
@Command(
    name = "rotate-keys",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    modelTransformer = SettingFlags.Bind.class,
    description =
        "Make a new session key pair current (--platform: a new platform key; --transit: the"
            + " newest Vault Transit key version), re-wrap every record (user key) under it in"
            + " resumable batches, then drop the old key. Run it again to resume an interrupted"
            + " rotation. Exit code 3: the old keys were kept; run again.")
public final class RotateKeysCommand implements Callable<Integer>, SettingFlags.Owner {
  /** The exit code when no clean pass was reached (the old keys are kept). */
  static final int INCOMPLETE = 3;

  @Spec CommandSpec spec;

  @Mixin NamespaceOption release = new NamespaceOption();

  @Option(
      names = "--management-port",
      description = "Serve the nbsecrets_rotation_* metrics on this port while running.")
  Integer managementPort;

  @Option(names = "--no-progress", description = "No progress output (the summary only).")
  boolean noProgress;

  @Mixin StoreOptions store = new StoreOptions();

  @Override
  public List<Flag> settingFlags() {
    return List.of(
        new Flag("--platform", boolean.class, ROTATION_PLATFORM),
        new Flag("--transit", boolean.class, ROTATION_TRANSIT),
        new Flag("--new-transit-version", boolean.class, ROTATION_NEW_TRANSIT_VERSION),
        new Flag("--key-algorithm", String.class, ROTATION_KEY_ALGORITHM),
        new Flag("--batch-size", Integer.class, ROTATION_BATCH_SIZE),
        new Flag("--parallelism", Integer.class, ROTATION_PARALLELISM),
        new Flag("--propagation-wait-seconds", Long.class, ROTATION_PROPAGATION_WAIT_SECONDS),
        new Flag("--run-id", String.class, ROTATION_RUN),
        new Flag("--keep-old-keys", boolean.class, ROTATION_KEEP_OLD_KEYS));
  }

  @Override
  @SuppressWarnings("try") // the management server only has to live as long as the rotation
  public Integer call() {
    Settings settings = store.settings(spec);
    String namespace = release.namespace;
    boolean platform = settings.get(NbsecretsSettings.ROTATION_PLATFORM);
    boolean transit = settings.get(NbsecretsSettings.ROTATION_TRANSIT);
    boolean newTransitVersion = settings.get(NbsecretsSettings.ROTATION_NEW_TRANSIT_VERSION);
    String keyAlgorithm = settings.get(NbsecretsSettings.ROTATION_KEY_ALGORITHM);
    if (platform && transit) {
      throw new IllegalArgumentException(
          "--platform and --transit rotate different keys: pick one");
    }
    if (newTransitVersion && !transit) {
      throw new IllegalArgumentException("--new-transit-version needs --transit");
    }
    if ((platform || transit) && keyAlgorithm != null) {
      throw new IllegalArgumentException(
          "--key-algorithm chooses the new session key: not with --platform or --transit");
    }
    SessionKeyAlgorithm algorithm =
        keyAlgorithm == null ? null : SessionKeyAlgorithm.of(keyAlgorithm);
    RotationOptions options = rotationOptions(settings);
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    ConsoleProgress progress =
        new ConsoleProgress(
            err, System.console() != null, platform ? "user key" : "record", Duration.ofSeconds(5));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    long started = System.nanoTime();
    RotationResult result;
    try (KubernetesClient client = Clients.create();
        SecretStore secretStore = Stores.open(settings, client, namespace);
        ManagementServer management =
            managementPort == null
                ? null
                : ManagementServer.start(
                    managementPort,
                    registry,
                    java.util.Optional::empty,
                    java.util.Optional::empty)) {
      var listener = noProgress ? io.nbsecrets.rotation.RotationListener.NONE : progress;
      if (transit) {
        VaultTransit key =
            Stores.transit(settings, secretStore)
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "--transit needs store.vault.transit.key (and store.type vault)"));
        result =
            new TransitRotation(
                    client,
                    namespace,
                    secretStore,
                    key,
                    newTransitVersion,
                    options,
                    listener,
                    registry)
                .run();
      } else if (platform) {
        result =
            new PlatformKeyRotation(client, namespace, secretStore, options, listener, registry)
                .run();
      } else {
        result =
            new SessionKeyRotation(
                    client, namespace, secretStore, algorithm, options, listener, registry)
                .run();
      }
    } finally {
      progress.endLine();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    out.println(
        summary(
            platform ? "platform key" : transit ? "Vault Transit key" : "session key",
            result,
            took));
    out.flush();
    return result.complete() ? 0 : INCOMPLETE;
  }

  /** The rotation's options from every layer (file, environment, flags). */
  static RotationOptions rotationOptions(Settings settings) {
    RotationOptions defaults = RotationOptions.defaults();
    Integer parallelism = settings.get(NbsecretsSettings.ROTATION_PARALLELISM);
    return new RotationOptions(
        settings.get(NbsecretsSettings.ROTATION_BATCH_SIZE),
        parallelism == null ? defaults.parallelism() : parallelism,
        Duration.ofSeconds(settings.get(NbsecretsSettings.ROTATION_PROPAGATION_WAIT_SECONDS)),
        defaults.maxPasses(),
        !settings.get(NbsecretsSettings.ROTATION_KEEP_OLD_KEYS),
        settings.get(NbsecretsSettings.ROTATION_RUN));
  }

  static String summary(String what, RotationResult r, Duration took) {
    if (r.alreadyDone()) {
      return what + " rotation already done (current key " + r.targetKeyId() + "); nothing to do";
    }
    String counts =
        String.format(
            Locale.ROOT,
            "%,d re-wrapped, %,d already current, %,d changed meanwhile, %,d unreadable (left as"
                + " they were)",
            r.counts().get(Outcome.REWRAPPED),
            r.counts().get(Outcome.CURRENT),
            r.counts().get(Outcome.CHANGED),
            r.counts().get(Outcome.UNREADABLE));
    String seconds = String.format(Locale.ROOT, "%.1f s", took.toMillis() / 1000.0);
    return r.complete()
        ? (r.resumed() ? "resumed and rotated " : "rotated ")
            + what
            + " to "
            + r.targetKeyId()
            + " in "
            + seconds
            + " ("
            + Counts.of(r.passes(), "pass", "passes")
            + "): "
            + counts
            + (r.droppedKeyIds().isEmpty()
                ? (what.startsWith("Vault")
                    ? "; older Transit key versions are retired in Vault (min_decryption_version)"
                    : "; old keys kept")
                : "; dropped " + String.join(", ", r.droppedKeyIds()))
        : what
            + " rotation to "
            + r.targetKeyId()
            + " incomplete after "
            + seconds
            + ": "
            + counts
            + "; old keys kept, run again";
  }
}
