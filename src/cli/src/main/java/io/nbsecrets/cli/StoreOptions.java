package io.nbsecrets.cli;

import io.nbsecrets.config.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * Where a role's settings come from ({@code --config}, {@code --set}) and the store's shortcut
 * flags; names as the Helm values. {@link #settings} loads every layer, the command's own bound
 * flags included (see {@link SettingFlags}).
 */
final class StoreOptions {
  @Option(
      names = "--config",
      defaultValue = "${env:NBSECRETS_CONFIG:-}",
      description =
          "YAML settings file (store.type, store.database.url, api.podTokenAudience, ... as in the"
              + " Helm values).")
  String configFile;

  @Option(
      names = "--set",
      description =
          "A setting, name=value (repeatable); wins over the file and NBSECRETS_* variables.")
  List<String> sets = new ArrayList<>();

  @Option(
      names = "--store-type",
      descriptionKey = "store.type",
      description = "Shortcut for --set store.type=... (kubernetes, database, vault).")
  String storeType;

  @Option(
      names = "--store-namespace",
      descriptionKey = "store.kubernetes.namespace",
      description =
          "Shortcut for --set store.kubernetes.namespace=...: where the kubernetes store keeps its"
              + " records (default: --namespace). Keep it apart from the key Secrets so that neither"
              + " role can list the other's key.")
  String storeNamespace;

  /** The command's settings: file, environment, then {@code --set} and its bound flags. */
  Settings settings(CommandSpec command) {
    return settings(command, System.getenv());
  }

  Settings settings(CommandSpec command, Map<String, String> env) {
    return Settings.load(
        configFile == null || configFile.isBlank() ? null : Path.of(configFile),
        env,
        sets,
        SettingFlags.given(command));
  }
}
