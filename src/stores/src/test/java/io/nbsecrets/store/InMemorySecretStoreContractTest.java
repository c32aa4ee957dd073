package io.nbsecrets.store;

/** The in-memory fake must behave like a real backend, or tests built on it prove nothing. */
class InMemorySecretStoreContractTest extends SecretStoreContract {

  @Override
  protected SecretStore newStore() {
    return new InMemorySecretStore();
  }

  @Override
  protected SecretStore unreachableStore() {
    InMemorySecretStore down = new InMemorySecretStore();
    down.setAvailable(false);
    return down;
  }
}
