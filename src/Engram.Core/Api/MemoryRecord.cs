using System;
using System.Collections.Generic;

namespace Engram.Core
{
    /// <summary>One memory as stored: <c>&lt;root&gt;/&lt;namespace&gt;/&lt;encoded key&gt;.yaml</c>.</summary>
    public sealed class MemoryRecord
    {
        /// <summary>The newest memory file format this build reads and writes.</summary>
        public const int CurrentFormat = 1;

        public MemoryRecord(string id, string ns, string key, object? value, IReadOnlyList<string> tags, int version,
            DateTime createdUtc, DateTime updatedUtc, string branch = Names.DefaultBranch, bool deleted = false)
        {
            Deleted = deleted;
            Id = id;
            Namespace = ns;
            Key = key;
            _value = value;
            Tags = tags;
            Version = version;
            CreatedUtc = createdUtc;
            UpdatedUtc = updatedUtc;
            Branch = branch;
        }

        /// <summary>
        /// A memory read from its header only: the value is loaded on first use by <paramref name="valueLoader"/>, and
        /// the content hash is the one the file records (so a writer need not parse or hash a large old value).
        /// </summary>
        internal MemoryRecord(string id, string ns, string key, Func<object?> valueLoader, string contentHash, IReadOnlyList<string> tags,
            int version, DateTime createdUtc, DateTime updatedUtc)
            : this(id, ns, key, null, tags, version, createdUtc, updatedUtc)
        {
            _valueLoader = valueLoader;
            _contentHash = contentHash;
        }

        /// <summary>Stable id; links the memory to its provenance and survives delete/re-create.</summary>
        public string Id { get; }
        public string Namespace { get; }
        public string Key { get; }
        /// <summary>Null, a scalar, an <c>object?[]</c> or an <see cref="Values.EngramMap"/>.</summary>
        public object? Value
        {
            get
            {
                if (_valueLoader != null)
                {
                    _value = _valueLoader();
                    _valueLoader = null;
                }
                return _value;
            }
        }
        private object? _value;
        private Func<object?>? _valueLoader;
        public IReadOnlyList<string> Tags { get; }
        /// <summary>1 for a new memory, +1 for each change; gap-free.</summary>
        public int Version { get; }
        public DateTime CreatedUtc { get; }
        public DateTime UpdatedUtc { get; }
        public string Branch { get; }
        /// <summary>A tombstone: the memory does not exist at this point (a deletion on a branch, or a merge base
        /// recording that the memory did not exist when the branch was forked).</summary>
        public bool Deleted { get; }

        /// <summary>The same memory seen from another branch.</summary>
        public MemoryRecord OnBranch(string branch) =>
            new MemoryRecord(Id, Namespace, Key, Value, Tags, Version, CreatedUtc, UpdatedUtc, branch, Deleted);

        /// <summary>A tombstone for <paramref name="key"/>.</summary>
        public static MemoryRecord Tombstone(string id, string ns, string key, int version, string branch) =>
            new MemoryRecord(id, ns, key, null, System.Array.Empty<string>(), version, System.DateTime.UtcNow, System.DateTime.UtcNow, branch, true);
        /// <summary>Sets the content hash of a value whose hash the caller has just computed (not computed twice).</summary>
        public MemoryRecord WithContentHash(string contentHash)
        {
            _contentHash = contentHash;
            return this;
        }

        /// <summary>SHA-256 of the value's canonical form (computed on demand).</summary>
        public string ContentHash => _contentHash ?? (_contentHash = Values.ValueCodec.ContentHash(Value));
        private string? _contentHash;
    }
}
