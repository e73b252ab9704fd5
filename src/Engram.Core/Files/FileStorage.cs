using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Storage
{
    /// <summary>
    /// The file storage: a folder of YAML memory files (<c>&lt;ns&gt;/&lt;key&gt;.yaml</c>), append-only history logs
    /// (<c>_provenance/&lt;ns&gt;/&lt;key&gt;.prov</c>), branches (<c>_branches/&lt;ns&gt;/&lt;branch&gt;/</c>) and the
    /// derived-from index, laid out as docs/store-format.md says. Reads never lock; a write session holds the store's
    /// cross-process lock and commits either by append-then-rename (one memory and its history) or through the
    /// <c>_txn</c> journal (anything more): see <see cref="FileWriteSession"/>. Every path is proven inside the store,
    /// with no link on the way (<see cref="StorePaths"/>), before it is used.
    /// </summary>
#pragma warning disable CA1001 // _view holds nothing to dispose: reads of the file storage need no session, so one view serves every read
    public sealed partial class FileStorage : IEngramStorage
#pragma warning restore CA1001
    {
        internal const string BranchesFolder = "_branches";
        internal const string VectorsFolder = "_vectors";

        private readonly EngramStoreOptions _options;
        private StoreConfig? _config;
        private readonly FileView _view;

        public FileStorage(string root, EngramStoreOptions? options = null)
        {
            if (string.IsNullOrWhiteSpace(root))
                throw new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument, "The store path cannot be empty.", root);
            try { Root = Path.GetFullPath(root); }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is PathTooLongException)
            {
                throw new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument, $"'{root}' is not a valid store path: {ex.Message}", root, ex);
            }
            _options = options ?? new EngramStoreOptions();
            Paths = new StorePaths(Root);
            _view = new FileView(this);
        }

        public string Root { get; }
        public string Kind => "file";
        public string Location => Root;
        public bool CanLeaveDanglingEntries => true;
        internal StorePaths Paths { get; }
        internal EngramStoreOptions Options => _options;

        /// <summary>Test hook: called at each step of a multi-file transaction ("staged", "intent-written", "committed",
        /// "applied-N", "before-cleanup") and of a single write ("prov-appended").</summary>
        public Action<string>? FaultHook { get; set; }

        /// <summary>Transactions finished or discarded by the last writer that found them interrupted.</summary>
        public IReadOnlyList<Transaction.RecoveryAction> LastRecovery { get; private set; } = Array.Empty<Transaction.RecoveryAction>();

        public string ConfigPath => Path.Combine(Root, StoreConfig.FileName);
        internal string TempDir => Paths.Proven(Path.Combine(Root, "_tmp"));
        public bool Exists => File.Exists(ConfigPath);

        /// <summary>The configuration (defaults when the store does not exist yet), read once.</summary>
        internal StoreConfig Config
        {
            get
            {
                if (_config != null) return _config;
                return _config = File.Exists(ConfigPath) ? StoreConfig.Parse(ReadConfigText(), ConfigPath) : new StoreConfig();
            }
        }

        public StoreConfig? ReadConfig() => Exists ? Config : null;

        /// <summary>engram.yaml's text (proven: not a link).</summary>
        internal string ReadConfigText() => FileOps.ReadAllText(Paths.Proven(ConfigPath));

        /// <summary>Writes engram.yaml (under the lock) and remembers it.</summary>
        internal void WriteConfig(StoreConfig config)
        {
            FileOps.WriteAtomic(ConfigPath, config.ToYaml(), TempDir, config.Durability);
            _config = config;
        }

        internal void ForgetConfig() => _config = null;

        public IStorageView OpenRead() => _view;

        public IStorageWrite BeginWrite(bool repair = false) => new FileWriteSession(this, repair);

        // ------------------------------------------------------------------ paths (each proven when built)

        public string MemoryPath(string ns, string key) =>
            Paths.Proven(Path.Combine(Root, Names.NormalizeNamespace(ns), Names.EncodeKey(key) + ".yaml"));

        public string ProvenancePath(string ns, string key) =>
            Paths.Proven(Path.Combine(Root, Names.ProvenanceNamespace, Names.NormalizeNamespace(ns), Names.EncodeKey(key) + ".prov"));

        internal string BranchesDir(string ns) => Paths.Proven(Path.Combine(Root, BranchesFolder, ns));
        internal string BranchDir(string ns, string branch) => Paths.Proven(Path.Combine(Root, BranchesFolder, ns, branch));
        internal string BranchRecordPath(string ns, string branch) => Paths.Proven(Path.Combine(Root, BranchesFolder, ns, branch, "branch.yaml"));
        internal string OverlayPath(string ns, string branch, string key) => Paths.Proven(Path.Combine(Root, BranchesFolder, ns, branch, "mem", Names.EncodeKey(key) + ".yaml"));
        internal string BasePath(string ns, string branch, string key) => Paths.Proven(Path.Combine(Root, BranchesFolder, ns, branch, "base", Names.EncodeKey(key) + ".yaml"));
        internal string SlotPath(string ns, string branch, BranchSlot slot, string key) => slot == BranchSlot.Own ? OverlayPath(ns, branch, key) : BasePath(ns, branch, key);
        internal string SlotDir(string ns, string branch, BranchSlot slot) => Path.Combine(BranchDir(ns, branch), slot == BranchSlot.Own ? "mem" : "base");

        internal string DerivedIndexPath(string ns, string key) =>
            Paths.Proven(Path.Combine(Root, Names.ProvenanceNamespace, "_derived", ns, Names.EncodeKey(key) + ".idx"));

        public string VectorPath(string ns) => Paths.Proven(Path.Combine(Root, VectorsFolder, Names.NormalizeNamespace(ns) + ".vec"));

        // ------------------------------------------------------------------ the lock

        /// <summary>Takes the writer lock, creating the store (default configuration) when it has none, and recovers
        /// interrupted transactions.</summary>
        /// <param name="quarantineCorrupt">Test-EngramStore -Repair: an interrupted transaction that must not be replayed
        /// is moved to <c>_quarantine/</c> instead of refusing the write (see <see cref="Transaction.Recover"/>).</param>
        internal StoreLock LockForWrite(bool quarantineCorrupt = false)
        {
            if (File.Exists(Root))
                throw new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument, $"'{Root}' is a file, not a folder.", Root);
            if (File.Exists(ConfigPath)) _ = Config; // a store of a newer format is refused before anything (even _lock) is created
            else Directory.CreateDirectory(Root); // (a store with an engram.yaml has its folder)
            var l = StoreLock.Acquire(Root, _options.LockTimeout);
            try
            {
                if (!File.Exists(ConfigPath)) WriteConfig(new StoreConfig());
                _ = Config;
                if (StorePaths.Exists(Path.Combine(Root, Transaction.Folder))) // a folder, or a link Recover refuses
                    LastRecovery = Transaction.Recover(Paths, Config.Durability, quarantineCorrupt);
                return l;
            }
            catch
            {
                l.Dispose();
                throw;
            }
        }

        /// <summary>Starts a multi-file transaction. The caller must hold the write lock.</summary>
        internal Transaction BeginTransaction() => new Transaction(Paths, Config.Durability, FaultHook);

        // ------------------------------------------------------------------ reading files

        /// <summary>A memory (or branch, or index) file's text; null when it does not exist. A file larger than the
        /// configuration allows (<see cref="StoreConfig.MaxMemoryFileBytes"/>: put there by hand) is refused unread.</summary>
        internal string? TryReadText(string path)
        {
            FileStream fs;
            try { fs = OpenMemoryFile(path); }
            catch (FileNotFoundException) { return null; }
            catch (DirectoryNotFoundException) { return null; }
            using (fs) return FileOps.DecodeText(ReadMemoryBytes(fs, path));
        }

        /// <summary>Opens a memory file for reading while writers may replace it (by rename) or delete it.</summary>
        internal static FileStream OpenMemoryFile(string path) =>
            new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);

        /// <summary>A memory file's bytes, after <see cref="CheckFileSize"/>.</summary>
        internal byte[] ReadMemoryBytes(FileStream fs, string path)
        {
            long length = fs.Length;
            CheckFileSize(path, length);
            return FileOps.ReadRest(fs, new byte[length], 0);
        }

        /// <summary>Refuses to load a memory file larger than <see cref="StoreConfig.MaxMemoryFileBytes"/> (ValueTooLarge).</summary>
        internal void CheckFileSize(string path, long length)
        {
            var config = Config;
            if (length <= config.MaxMemoryFileBytes) return;
            throw new EngramException(EngramErrorIds.ValueTooLarge, EngramErrorKind.InvalidData,
                $"The memory file '{path}' is {length:N0} bytes, more than a value within the store's limit (maxValueBytes: {config.MaxValueBytes:N0}) can take, so it was not read " +
                $"(Engram never writes such a file: it was put there by other means). Move it out of the store, or raise maxValueBytes in engram.yaml to read it.", path);
        }

        /// <summary>Parses the memory file of <paramref name="key"/>, which must hold that key.</summary>
        internal static MemoryRecord ParseChecked(string text, string ns, string key, string path, string branch = Names.DefaultBranch)
        {
            var m = MemoryFile.Parse(text, ns, path, branch);
            if (!string.Equals(m.Key, key, StringComparison.Ordinal))
                throw MemoryFile.Malformed(path, $"it holds key '{m.Key}', not '{key}'");
            return m;
        }

        internal MemoryRecord? ReadFile(string path, string ns, string branch)
        {
            var text = TryReadText(path);
            return text == null ? null : MemoryFile.Parse(text, ns, path, branch);
        }

        /// <summary>Reads one main-line memory; null when it does not exist.</summary>
        internal MemoryRecord? TryGet(string ns, string key)
        {
            var path = MemoryPath(ns, key);
            var text = TryReadText(path);
            return text == null ? null : ParseChecked(text, ns, key, path);
        }

        internal BranchRecord? TryGetBranch(string ns, string branch)
        {
            var path = BranchRecordPath(ns, branch);
            var text = TryReadText(path);
            return text == null ? null : BranchRecord.Parse(text, path);
        }

        /// <summary>Memory files at least this large (bytes) are read from their header alone by writers.</summary>
        internal const int TrustHeaderFrom = 8 * 1024;

        /// <summary>
        /// The current memory as a writer needs it. A file from <see cref="TrustHeaderFrom"/> up is read from its header
        /// alone when it records its content hash and its value section's size and the size matches (a hand edit that
        /// changed the value's length is noticed and the file is read in full), with the value loaded only if it is asked
        /// for. Smaller files, files from before those fields, and anything unexpected take the full read.
        /// </summary>
        internal MemoryRecord? ReadForWrite(string ns, string key)
        {
            var path = MemoryPath(ns, key);
            FileStream fs;
            try { fs = OpenMemoryFile(path); }
            catch (FileNotFoundException) { return null; }
            catch (DirectoryNotFoundException) { return null; }
            using (fs)
            {
                long length = fs.Length;
                // A small file is read and hashed in full (tens of µs): a hand edit of its value is always seen, even
                // one that keeps the length (8080 → 9090). Only larger values rely on the header.
                var buf = new byte[length <= TrustHeaderFrom ? (int)length : 4096];
                int filled = 0, valueAt = -1;
                while (true)
                {
                    int n = fs.Read(buf, filled, buf.Length - filled);
                    if (n <= 0) break;
                    filled += n;
                    if (length > TrustHeaderFrom) valueAt = MemoryFile.FindValueLine(buf, filled);
                    if (valueAt >= 0 || filled == length) break;
                    if (filled == buf.Length) Array.Resize(ref buf, (int)Math.Min(length, (long)buf.Length * 2));
                }
                if (valueAt >= 0)
                {
                    MemoryRecord? header = null;
                    string? hash = null;
                    long? valueBytes = null;
                    try { header = MemoryFile.ParseHeader(FileOps.GetString(buf, 0, valueAt), ns, path, out hash, out valueBytes); }
                    catch (EngramException) { header = null; } // the full parse below reports it properly
                    if (header != null && hash != null && valueBytes == length - valueAt && string.Equals(header.Key, key, StringComparison.Ordinal) && !header.Deleted)
                    {
                        string id = header.Id;
                        int version = header.Version;
                        var storage = this;
                        return new MemoryRecord(id, ns, key, () =>
                        {
                            var full = storage.TryGet(ns, key);
                            if (full == null || full.Id != id || full.Version != version)
                                throw new EngramException(EngramErrorIds.WriteFailed, EngramErrorKind.WriteError,
                                    $"The memory '{key}' in '{ns}' changed while it was being written; the lock was not respected.", path);
                            return full.Value;
                        }, hash, header.Tags, version, header.CreatedUtc, header.UpdatedUtc);
                    }
                }
                // The whole file, from the stream already open: the part read so far, then the rest.
                CheckFileSize(path, length);
                if (buf.Length < length) Array.Resize(ref buf, (int)length);
                return ParseChecked(FileOps.DecodeText(FileOps.ReadRest(fs, buf, filled)), ns, key, path);
            }
        }

        internal ProvenanceLog Log(string ns, string key) => new ProvenanceLog(ProvenancePath(ns, key));
    }
}
