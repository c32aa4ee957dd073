package io.nbsecrets.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WriteLocksTest {
  @Test
  void oneKeyAlwaysHasTheSameLock() {
    WriteLocks locks = new WriteLocks();
    assertThat(locks.of("alice/db")).isSameAs(locks.of(new String("alice/db")));
  }

  @Test
  void keysAreSpreadOverManyLocks() {
    WriteLocks locks = new WriteLocks();
    Map<Object, Boolean> distinct = new IdentityHashMap<>();
    for (int i = 0; i < 1000; i++) {
      distinct.put(locks.of("user-" + i), true);
    }
    assertThat(distinct).hasSize(64);
  }

  @Test
  void twoStoresDoNotShareLocks() {
    assertThat(new WriteLocks().of("k")).isNotSameAs(new WriteLocks().of("k"));
  }
}
