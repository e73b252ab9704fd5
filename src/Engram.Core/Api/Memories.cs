using System;
using System.Collections.Generic;
using Engram.Core.Provenance;
using Engram.Core.Values;

namespace Engram.Core
{
    /// <summary>What to write with <see cref="EngramStore.Set"/>.</summary>
    public sealed class SetRequest
    {
        public SetRequest(string ns, string key, object? value)
        {
            Namespace = ns;
            Key = key;
            Value = value;
        }

        public string Namespace { get; }
        public string Key { get; }
        public object? Value { get; }
        /// <summary>New tags; null keeps the memory's current tags.</summary>
        public IReadOnlyList<string>? Tags { get; set; }
        public string? Actor { get; set; }
        public string? Reason { get; set; }
        /// <summary>Force provenance on (true) or off (false); null follows the store policy.</summary>
        public bool? TrackProvenance { get; set; }
        /// <summary>Provenance action; null means created/revised as appropriate.</summary>
        public string? Action { get; set; }
        /// <summary>The branch to write on; null or "main" for the main line.</summary>
        public string? Branch { get; set; }
        /// <summary>Structured details recorded in the provenance entry (covered by its hash).</summary>
        public EngramMap? Details { get; set; }
        /// <summary>Memories this value was derived from; each is pinned to an exact version in the entry.</summary>
        public IReadOnlyList<MemoryRef>? DerivedFrom { get; set; }
        /// <summary>How sure the actor is of the new value, 0..1.</summary>
        public double? Confidence { get; set; }
        /// <summary>A conditional write: the memory's current version must be this one (0: it must not exist), else the
        /// write is refused with <c>VersionConflict</c>. Checked under the store's write lock (see <see cref="ConditionalWrite"/>).</summary>
        public int? ExpectedVersion { get; set; }

        /// <summary>True when the request carries provenance that only a tracked memory can hold.</summary>
        internal bool IsCognitive => Action != null || Confidence != null || (DerivedFrom != null && DerivedFrom.Count > 0);
    }

    /// <summary>The outcome of <see cref="EngramStore.Set"/>.</summary>
    public sealed class SetResult
    {
        internal SetResult(MemoryRecord memory, bool changed, ProvenanceEntry? entry)
        {
            Memory = memory;
            Changed = changed;
            Entry = entry;
        }

        public MemoryRecord Memory { get; }
        /// <summary>False when the same value and tags were already stored (no new version, no history entry).</summary>
        public bool Changed { get; }
        /// <summary>The provenance entry written, when the memory is tracked and changed.</summary>
        public ProvenanceEntry? Entry { get; }
    }

    /// <summary>A namespace and what is in it.</summary>
    public sealed class NamespaceInfo
    {
        internal NamespaceInfo(string name, bool tracked, int count, bool standard, bool exists)
        {
            Name = name;
            Tracked = tracked;
            MemoryCount = count;
            IsStandard = standard;
            Exists = exists;
        }

        public string Name { get; }
        /// <summary>Whether new memories in it are tracked by default.</summary>
        public bool Tracked { get; }
        public int MemoryCount { get; }
        public bool IsStandard { get; }
        /// <summary>Whether its folder exists (standard namespaces are listed before their first memory).</summary>
        public bool Exists { get; }
    }

    /// <summary>A memory found by listing: its key and file, before the file is read.</summary>
    public sealed class MemoryLocation
    {
        public MemoryLocation(string ns, string? key, string path)
        {
            Namespace = ns;
            Key = key;
            Path = path;
        }

        public string Namespace { get; }
        /// <summary>Null when the file name is a hashed long key: read the file to learn it.</summary>
        public string? Key { get; }
        public string Path { get; }
    }

    /// <summary>Options that are not part of the on-disk configuration.</summary>
    public sealed class EngramStoreOptions
    {
        /// <summary>How long a writer waits for the store lock.</summary>
        public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);
    }
}
