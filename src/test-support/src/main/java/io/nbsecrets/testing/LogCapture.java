package io.nbsecrets.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Records every log event of the JVM (on the root logger) while open, to search for leaked values
 * or to check what a component logged. Its {@link #text} holds all a log line can carry, so that a
 * scan for a value misses none of it.
 */
public final class LogCapture implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root;

  /** Starts recording. */
  public LogCapture() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    appender.setContext(context);
    appender.start();
    root.addAppender(appender);
  }

  /**
   * Everything recorded so far, as text: each event's level, logger, MDC and formatted message, its
   * raw arguments, and its exceptions (causes and suppressed ones) with messages and frames.
   */
  public String text() {
    StringBuilder sb = new StringBuilder();
    for (ILoggingEvent e : events()) {
      sb.append(e.getLevel()).append(' ').append(e.getLoggerName()).append(' ');
      sb.append(e.getMDCPropertyMap()).append(' ').append(e.getFormattedMessage()).append('\n');
      if (e.getArgumentArray() != null) {
        for (Object arg : e.getArgumentArray()) {
          sb.append("  arg: ").append(arg).append('\n');
        }
      }
      if (e.getThrowableProxy() != null) {
        sb.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
      }
    }
    return sb.toString();
  }

  /** The events recorded so far, oldest first. */
  public List<ILoggingEvent> events() {
    synchronized (appender) {
      return new ArrayList<>(appender.list);
    }
  }

  /** How many events were recorded so far. */
  public int size() {
    synchronized (appender) {
      return appender.list.size();
    }
  }

  /** The formatted messages of one logger, oldest first. */
  public List<String> messages(String loggerName) {
    return events().stream()
        .filter(e -> e.getLoggerName().equals(loggerName))
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  /** Stops recording. */
  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
  }
}
