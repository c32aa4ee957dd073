package io.nbsecrets.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.nbsecrets.config.SettingNames;
import io.nbsecrets.config.Settings;
import io.nbsecrets.config.Stores;
import io.nbsecrets.store.SecretStore;
import io.nbsecrets.store.VaultTransit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The store settings both long-running roles take (names as the Helm values). */
final class StoreOptions {
  @Option(
      names = "--config",
      defaultValue = "${env:NBSECRETS_CONFIG:-}",
      description =
          "YAML settings file (store.type, store.database.url, ... as in the Helm values).")
  String configFile;

  @Option(
      names = "--set",
      description =
          "A setting, name=value (repeatable); wins over the file and NBSECRETS_* variables.")
  List<String> sets = new ArrayList<>();

  @Option(
      names = "--store-type",
      description = "Shortcut for --set store.type=... (kubernetes, database, vault).")
  String storeType;

  @Option(
      names = "--store-namespace",
      description =
          "Shortcut for --set store.kubernetes.namespace=...: where the kubernetes store keeps its"
              + " records (default: --namespace). Keep it apart from the key Secrets so that neither"
              + " role can list the other's key.")
  String storeNamespace;

  Settings settings() {
    List<String> all = new ArrayList<>(sets);
    if (storeType != null) {
      all.add(SettingNames.STORE_TYPE + "=" + storeType);
    }
    if (storeNamespace != null) {
      all.add(SettingNames.STORE_K8S_NAMESPACE + "=" + storeNamespace);
    }
    return Settings.load(
        configFile == null || configFile.isBlank() ? null : Path.of(configFile),
        System.getenv(),
        all);
  }

  /** Opens the configured store; a bad setting stops start-up with a message naming it. */
  SecretStore open(KubernetesClient client, String namespace) {
    return Stores.open(settings(), client, namespace);
  }

  /** The Vault Transit key of {@code store.vault.transit.*}, if configured. */
  Optional<VaultTransit> transit(SecretStore store) {
    return Stores.transit(settings(), store);
  }
}
