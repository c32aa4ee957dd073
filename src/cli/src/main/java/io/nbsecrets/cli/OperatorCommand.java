package io.nbsecrets.cli;

import static io.nbsecrets.config.NbsecretsSettings.KEY_ALGORITHM;
import static io.nbsecrets.config.NbsecretsSettings.OPERATOR_API_CA_CONFIGMAP;
import static io.nbsecrets.config.NbsecretsSettings.OPERATOR_API_URL;
import static io.nbsecrets.config.NbsecretsSettings.OPERATOR_INIT_IMAGE;
import static io.nbsecrets.config.NbsecretsSettings.OPERATOR_INSECURE_API_HTTP;
import static io.nbsecrets.config.NbsecretsSettings.OPERATOR_LEADER_ELECTION;
import static io.nbsecrets.config.NbsecretsSettings.OPERATOR_MANAGEMENT_PORT;
import static io.nbsecrets.config.NbsecretsSettings.OPERATOR_SESSION_GID;
import static io.nbsecrets.config.NbsecretsSettings.OPERATOR_SESSION_UID;
import static io.nbsecrets.config.NbsecretsSettings.WATCH_NAMESPACES;

import io.nbsecrets.cli.SettingFlags.Flag;
import io.nbsecrets.config.NbsecretsSettings;
import io.nbsecrets.config.Settings;
import io.nbsecrets.crypto.SessionKeyAlgorithm;
import io.nbsecrets.operator.OperatorRole;
import io.nbsecrets.operator.OperatorRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The reconciler: holds the session private key, never a user key or a plaintext value. */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    modelTransformer = SettingFlags.Bind.class,
    description = "Run the NotebookSession operator.")
public final class OperatorCommand implements Callable<Integer>, SettingFlags.Owner {
  @Spec CommandSpec spec;

  @Mixin NamespaceOption release = new NamespaceOption();

  @Mixin AudienceOption audience = new AudienceOption();

  @Option(
      names = "--session-key-file",
      description =
          "PEM private key(s) of the session key pair (PKCS#8 for RSA; HPKE keys in nbsecrets'"
              + " PEM form, see docs/security.md); generated into a Secret when absent.")
  List<Path> sessionKeyFiles;

  @Mixin StoreOptions store = new StoreOptions();

  /** The operator's configuration from every layer (file, environment, flags). */
  OperatorRole.Config config(Settings settings) {
    return new OperatorRole.Config(
        release.namespace,
        settings.get(NbsecretsSettings.WATCH_NAMESPACES),
        settings.get(NbsecretsSettings.OPERATOR_API_URL),
        settings.get(NbsecretsSettings.OPERATOR_INIT_IMAGE),
        settings.get(NbsecretsSettings.POD_TOKEN_AUDIENCE),
        settings.get(NbsecretsSettings.OPERATOR_SESSION_UID),
        settings.get(NbsecretsSettings.OPERATOR_SESSION_GID),
        sessionKeyFiles,
        SessionKeyAlgorithm.of(settings.get(NbsecretsSettings.KEY_ALGORITHM)),
        settings.get(NbsecretsSettings.OPERATOR_LEADER_ELECTION),
        settings.get(NbsecretsSettings.OPERATOR_API_CA_CONFIGMAP),
        settings.get(NbsecretsSettings.OPERATOR_INSECURE_API_HTTP));
  }

  @Override
  public List<Flag> settingFlags() {
    return List.of(
        new Flag("--watch-namespaces", List.class, WATCH_NAMESPACES),
        new Flag("--api-url", String.class, OPERATOR_API_URL),
        new Flag("--api-ca-configmap", String.class, OPERATOR_API_CA_CONFIGMAP),
        new Flag("--insecure-api-http", boolean.class, OPERATOR_INSECURE_API_HTTP),
        new Flag("--init-image", String.class, OPERATOR_INIT_IMAGE),
        new Flag("--session-uid", Long.class, OPERATOR_SESSION_UID),
        new Flag("--session-gid", Long.class, OPERATOR_SESSION_GID),
        new Flag("--key-algorithm", String.class, KEY_ALGORITHM),
        new Flag("--leader-election", boolean.class, OPERATOR_LEADER_ELECTION),
        new Flag("--management-port", Integer.class, OPERATOR_MANAGEMENT_PORT));
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = store.settings(spec);
    OperatorRole.Config config = config(settings);
    RoleServices services = RoleServices.open(settings, config.namespace());
    OperatorRole role =
        OperatorRole.start(
            services.client(),
            config,
            services.store(),
            services.transit(),
            services.registry(),
            OperatorRunner.retry());
    ManagementServer management =
        ManagementServer.start(
            settings.get(NbsecretsSettings.OPERATOR_MANAGEMENT_PORT),
            services.registry(),
            role::liveness,
            role::readiness);
    services.awaitShutdown(role, management);
    return 0;
  }
}
