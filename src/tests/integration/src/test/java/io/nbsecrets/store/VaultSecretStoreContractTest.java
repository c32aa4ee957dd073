package io.nbsecrets.store;

import io.nbsecrets.store.VaultSecretStore.VaultConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract against {@link FakeVault} (token auth; a fresh prefix per test). */
class VaultSecretStoreContractTest extends SecretStoreContract {

  static final String ROOT_TOKEN = "hvs.fake-root-token-for-tests";
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static FakeVault vault;

  @BeforeAll
  static void startVault() {
    vault = new FakeVault(ROOT_TOKEN);
  }

  @AfterAll
  static void stopVault() {
    vault.close();
  }

  @Override
  protected SecretStore newStore() {
    return VaultSecretStore.open(
        new VaultConfig(
            vault.address(),
            null,
            "nbsecrets-" + PREFIXES.incrementAndGet(),
            ROOT_TOKEN,
            null,
            null,
            null,
            Duration.ofSeconds(10)));
  }

  @Override
  protected SecretStore unreachableStore() {
    return VaultSecretStore.open(
        new VaultConfig(
            closedPort(), null, null, ROOT_TOKEN, null, null, null, Duration.ofMillis(500)));
  }

  /** An address where nothing listens (a port just released). */
  static URI closedPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
