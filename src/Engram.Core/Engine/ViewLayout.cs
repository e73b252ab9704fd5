using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    /// <summary>
    /// The verifier's view of a storage without <see cref="IVerifiedLayout"/> (SQL, in memory): its records as its
    /// reading primitives list them. A write session there is all or nothing, so nothing is torn or left dangling, and
    /// no lock is taken to re-check a finding.
    /// </summary>
    internal sealed class ViewLayout : IVerifiedLayout
    {
        private readonly IEngramStorage _storage;
        private readonly Func<string, string, string> _memoryOrigin, _historyOrigin, _branchOrigin;

        public ViewLayout(IEngramStorage storage, Func<string, string, string> memoryOrigin, Func<string, string, string> historyOrigin, Func<string, string, string> branchOrigin)
        {
            _storage = storage;
            _memoryOrigin = memoryOrigin;
            _historyOrigin = historyOrigin;
            _branchOrigin = branchOrigin;
        }

        public string MemoryNoun => "memory";

        public bool UnderRecheckLock(Action action) => false;

        public void CheckJournal(StoreReport report) { }

        public IDisposable? HoldForRepair() => new Nothing();

        public IStorageWrite RepairWrite() => _storage.BeginWrite();

        public void ScanLinks(StoreReport report) { }

        public void CheckLeftovers(StoreReport report, bool repair) { }

        public IReadOnlyList<string> Namespaces(IStorageView view, StoreReport report) =>
            view.Namespaces().Concat(view.Histories(null).Select(h => h.Key)).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();

        public IEnumerable<StoredItem> Memories(IStorageView view, string ns, StoreReport report) =>
            view.ListMemories(ns).Select(l => new StoredItem(ns, l.Key ?? l.Path, l.Key, l.Path, l));

        public IEnumerable<StoredItem> Histories(IStorageView view, string ns, StoreReport report, bool alone) =>
            view.Histories(ns).Select(h => new StoredItem(ns, h.Value, h.Value, _historyOrigin(ns, h.Value))).ToList(); // complete before the view reads anything else

        public MemoryRecord CheckMemory(IStorageView view, StoredItem memory, StoreReport report, bool repair) => view.ReadListed(memory.Location!);

        public bool AnchorReadable(string ns, string key, StoreReport report) => true;

        public HistoryUnderCheck History(IStorageView view, string ns, string key, StoredItem? stored) => new ViewHistory(view, ns, key, _historyOrigin(ns, key));

        public IEnumerable<StoredItem> Branches(IStorageView view, StoreReport report)
        {
            var branches = _storage is IStorageLayoutCheck layout ? layout.StoredBranches(view)
                : view.ReadBranches(null).Select(b => new KeyValuePair<string, string>(b.Key.Namespace, b.Key.Name)).ToList();
            return branches.Select(b => new StoredItem(b.Key, b.Value, b.Value, _branchOrigin(b.Key, b.Value)));
        }

        public BranchRecord? ReadBranch(IStorageView view, StoredItem branch)
        {
            string ns = branch.Namespace, name = branch.Stem;
            var record = view.ReadBranch(ns, name);
            if (record != null && (record.Name != name || record.Namespace != ns))
                throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"The branch record of '{ns}@{name}' names '{record.Namespace}@{record.Name}'.", ns + "@" + name);
            return record;
        }

        public IEnumerable<KeyValuePair<MemoryRecord, string>> BranchMemories(IStorageView view, StoredItem branch, BranchRecord record, StoreReport report)
        {
            foreach (var slot in new[] { BranchSlot.Own, BranchSlot.Base })
                foreach (var m in view.ReadBranchMemories(branch.Namespace, branch.Stem, slot))
                    yield return new KeyValuePair<MemoryRecord, string>(m, branch.Origin);
        }

        private sealed class Nothing : IDisposable
        {
            public void Dispose() { }
        }

        /// <summary>A history read through <see cref="IStorageView.ReadHistory"/>.</summary>
        private sealed class ViewHistory : HistoryUnderCheck
        {
            private readonly IStorageView _view;
            private readonly string _ns, _key, _origin;

            public ViewHistory(IStorageView view, string ns, string key, string origin)
            {
                _view = view;
                _ns = ns;
                _key = key;
                _origin = origin;
            }

            public override string Origin => _origin;

            public override bool Exists => _view.ReadTail(_ns, _key) != null;

            public override HistoryShape? Open()
            {
                var tail = _view.ReadTail(_ns, _key);
                return tail == null ? null : new HistoryShape { Seq = tail.Seq };
            }

            public override IEnumerable<ProvenanceEntry> Entries(bool includeValues, bool whole = false) => _view.ReadHistory(_ns, _key, null, includeValues);
        }
    }
}
