package dev.signet.rotation;

import dev.signet.spi.SignetException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The journal as a file {@value #JOURNAL} in a directory of the data dir, for replicas on one host.
 * Writes go to a temporary file that is fsynced and renamed over the journal, then the directory is
 * fsynced, so a crash leaves the old or the new journal, never a mix. Processes take turns through an OS
 * {@link FileLock} on {@value #LOCK_FILE}; threads of one process through a lock per file, since a JVM
 * cannot hold two OS locks on one file.
 */
public final class FileLifecycleStore implements LifecycleStore {

    static final String JOURNAL = "keyset";
    static final String LOCK_FILE = "keyset.lock";
    /** Written before the first journal, never removed by Signet: the issuer existed here. */
    static final String MARKER = "issuer-started";
    private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);
    private static final ConcurrentHashMap<Path, ProcessLock> LOCKS = new ConcurrentHashMap<>();

    private final Path journal;
    private final Path lockFile;
    private final Path marker;

    /**
     * @param directory one directory per issuer; created if missing
     * @throws SignetException UNAVAILABLE if it cannot be created
     */
    public FileLifecycleStore(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot create " + directory, e);
        }
        Path dir = directory.toAbsolutePath().normalize();
        this.journal = dir.resolve(JOURNAL);
        this.lockFile = dir.resolve(LOCK_FILE);
        this.marker = dir.resolve(MARKER);
    }

    @Override
    public boolean issuerStarted() {
        return Files.exists(marker) || Files.exists(journal);
    }

    @Override
    public KeySet load() {
        String text;
        try {
            text = Files.readString(journal, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return KeySet.empty();
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot read " + journal, e);
        }
        try {
            return KeySetCodec.decode(text);
        } catch (RuntimeException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "damaged key journal " + journal + ": "
                    + e.getMessage() + ". Signet will not start over on its own: restore the journal from a backup"
                    + " (ops/RUNBOOK.md, \"The key journal is missing or damaged\")", e);
        }
    }

    @Override
    public void compareAndSet(long expectedVersion, KeySet next) {
        if (next.version() != expectedVersion + 1) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "next version " + next.version() + " does not follow " + expectedVersion);
        }
        Lock lock = lock();
        try {
            long current = load().version();
            if (current != expectedVersion) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION,
                        "key journal is at version " + current + ", not " + expectedVersion);
            }
            if (!Files.exists(marker)) {
                writeMarker();
            }
            write(KeySetCodec.encode(next));
        } finally {
            lock.close();
        }
    }

    private void writeMarker() {
        try (FileChannel ch = FileChannel.open(marker, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(StandardCharsets.UTF_8.encode("An issuer's key journal (" + JOURNAL + ") was started in this"
                    + " directory. If the journal is missing, restore it; to start a new issuer on purpose, run"
                    + " signet serve --init-issuer.\n"));
            ch.force(true);
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot write " + marker, e);
        }
    }

    private void write(String text) {
        Path tmp = journal.resolveSibling(JOURNAL + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(StandardCharsets.UTF_8.encode(text));
                ch.force(true);
            }
            try {
                Files.move(tmp, journal, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, journal, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot write " + journal, e);
        }
        // The rename is the commit; syncing the directory makes it survive power loss. Some platforms
        // cannot open a directory for sync, and the journal is already replaced, so this must not throw.
        try (FileChannel dir = FileChannel.open(journal.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            System.getLogger(FileLifecycleStore.class.getName()).log(System.Logger.Level.DEBUG,
                    "cannot fsync {0}: {1}", journal.getParent(), e.toString());
        }
    }

    @Override
    public Lock lock() {
        ProcessLock held = LOCKS.computeIfAbsent(lockFile, ProcessLock::new);
        held.acquire();
        return held::release;
    }

    /** One OS lock per file and JVM, held while any thread of this JVM holds the reentrant lock. */
    private static final class ProcessLock {
        private final Path file;
        private final ReentrantLock threads = new ReentrantLock();
        private FileChannel channel;
        private FileLock osLock;

        ProcessLock(Path file) {
            this.file = file;
        }

        void acquire() {
            threads.lock();
            if (threads.getHoldCount() > 1) {
                return;
            }
            try {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                long deadline = System.nanoTime() + LOCK_TIMEOUT.toNanos();
                while ((osLock = channel.tryLock()) == null) {
                    if (System.nanoTime() > deadline) {
                        throw new SignetException(SignetException.Code.UNAVAILABLE,
                                "another process has held " + file + " for over " + LOCK_TIMEOUT);
                    }
                    Thread.sleep(5);
                }
            } catch (IOException | InterruptedException | RuntimeException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                closeChannel();
                threads.unlock();
                throw e instanceof SignetException se ? se
                        : new SignetException(SignetException.Code.UNAVAILABLE, "cannot lock " + file, e);
            }
        }

        void release() {
            try {
                if (threads.getHoldCount() == 1) {
                    closeChannel();
                }
            } finally {
                threads.unlock();
            }
        }

        private void closeChannel() {
            try {
                if (osLock != null) {
                    osLock.release();
                }
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException e) {
                // Closing the channel releases the OS lock anyway.
            } finally {
                osLock = null;
                channel = null;
            }
        }
    }

    @Override
    public String toString() {
        return "FileLifecycleStore[" + journal + "]";
    }
}
