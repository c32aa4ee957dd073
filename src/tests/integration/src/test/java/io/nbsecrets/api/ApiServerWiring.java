package io.nbsecrets.api;

import io.nbsecrets.crypto.PlatformKey;
import io.nbsecrets.crypto.SessionPublicKey;
import io.nbsecrets.store.InMemorySecretStore;
import java.io.IOException;
import java.util.Optional;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** An API server with nothing behind it but an in-memory store and no valid token. */
public final class ApiServerWiring {
  private ApiServerWiring() {}

  /** Every token is refused; the init endpoint answers 403. */
  public static ApiServer minimal(SslContextFactory.Server tls) throws IOException {
    InMemorySecretStore store = new InMemorySecretStore();
    UserKeyService userKeys = new UserKeyService(store, PlatformKey.generate());
    return ApiServer.builder()
        .secrets(
            new SecretService(
                store,
                userKeys,
                SessionPublicKey.of(ApiFixture.SESSION_KEYS.getPublic()),
                ApiConfig.defaults()))
        .userKeys(userKeys)
        .authenticator((token, audiences) -> Optional.empty())
        .http(h -> h.host("127.0.0.1").port(0).tls(tls))
        .start();
  }
}
