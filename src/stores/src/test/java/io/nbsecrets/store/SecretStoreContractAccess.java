package io.nbsecrets.store;

import java.util.List;

/** The contract suite's helpers, for tests in other packages. */
public final class SecretStoreContractAccess {
  private SecretStoreContractAccess() {}

  /** All records, page by page. */
  public static List<ScannedSecret> scanAll(SecretStore store, int pageSize) {
    return SecretStoreContract.scanAll(store, pageSize);
  }
}
