package io.nbsecrets.integration;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures every log event of the process, to search it for leaked values. */
final class LogCapture implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root;

  LogCapture() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    appender.setContext(context);
    appender.start();
    root.addAppender(appender);
  }

  /** Every message, MDC and stack trace captured so far, as text. */
  String text() {
    List<ILoggingEvent> events;
    synchronized (appender) {
      events = new ArrayList<>(appender.list);
    }
    StringBuilder sb = new StringBuilder();
    for (ILoggingEvent e : events) {
      sb.append(e.getLevel()).append(' ').append(e.getLoggerName()).append(' ');
      sb.append(e.getMDCPropertyMap()).append(' ').append(e.getFormattedMessage()).append('\n');
      if (e.getThrowableProxy() != null) {
        sb.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
      }
    }
    return sb.toString();
  }

  int size() {
    synchronized (appender) {
      return appender.list.size();
    }
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
  }
}
