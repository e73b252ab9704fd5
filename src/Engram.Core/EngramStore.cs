using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core
{
    /// <summary>
    /// An Engram store on disk. Reads never lock and never open provenance files; writes take the store's
    /// cross-process lock, write files to temp and rename them into place, and keep memory file and provenance
    /// entry consistent (the entry is appended first; if the memory file cannot be replaced the entry is cut off again,
    /// and an entry left dangling by a crash is cut off by the next writer).
    /// </summary>
    public sealed partial class EngramStore : Engine.EngramEngine
    {
        private readonly EngramStoreOptions _options;
        private readonly StorePaths _paths;

        public EngramStore(string root, EngramStoreOptions? options = null) : this(new FileStorage(root, options)) { }

        private EngramStore(FileStorage files) : base(files)
        {
            Files = files;
            _options = files.Options;
            _paths = files.Paths;
        }

        /// <summary>The file storage this store keeps its records in.</summary>
        internal FileStorage Files { get; }

        /// <summary>
        /// Test hook: called at each step of a multi-file transaction ("staged", "intent-written", "committed",
        /// "applied-N", "before-cleanup") and of a single write ("prov-appended"). Throwing there rolls the change back;
        /// throwing <see cref="SimulatedCrashException"/> leaves the files as a killed process would.
        /// </summary>
        public Action<string>? FaultHook { get => Files.FaultHook; set => Files.FaultHook = value; }

        /// <summary>Transactions finished or discarded by the last writer that found them interrupted.</summary>
        public IReadOnlyList<Transaction.RecoveryAction> LastRecovery => Files.LastRecovery;

        public string ConfigPath => Files.ConfigPath;

        // (while issue #14 moves the rest of this class into the engine, its remaining parts use the file storage's helpers)
        public string MemoryPath(string ns, string key) => Files.MemoryPath(ns, key);
        public string ProvenancePath(string ns, string key) => Files.ProvenancePath(ns, key);
        internal Transaction BeginTransaction() => Files.BeginTransaction();
        internal const string BranchesFolder = FileStorage.BranchesFolder;
        internal string BranchDir(string ns, string branch) => Files.BranchDir(ns, branch);
        internal string DerivedIndexPath(string ns, string key) => Files.DerivedIndexPath(ns, key);
        protected override string HistoryOrigin(string ns, string key) => ProvenancePath(ns, key);
        protected override string MemoryOrigin(string ns, string key) => MemoryPath(ns, key);
        internal MemoryRecord? TryGetForWrite(string ns, string key) => Files.ReadForWrite(ns, key);

        /// <summary>Memory files at least this large (bytes) are read from their header alone by writers.</summary>
        internal const int TrustHeaderFrom = Engram.Core.Storage.FileWriteSession.TrustHeaderFrom;
        /// <summary>Strings at least this long (chars) are hashed on a worker thread while a Set does its I/O.</summary>
        internal const int OverlapHashingFrom = Engine.Rules.WriteRules.OverlapHashingFrom;

        /// <summary>The store at the default location (see <see cref="StoreLocator.DefaultRoot"/>).</summary>
        public static EngramStore OpenDefault(EngramStoreOptions? options = null) => new EngramStore(StoreLocator.DefaultRoot(), options);

        // ------------------------------------------------------------------ reads (no lock, no .prov)

        internal static EngramException NotFound(string ns, string key) => StoreErrors.MemoryMissing(ns, key);

        // ------------------------------------------------------------------ writes

        // ------------------------------------------------------------------ provenance reads

        // ------------------------------------------------------------------ helpers

    }
}
