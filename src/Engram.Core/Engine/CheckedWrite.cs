using System;
using System.Collections.Generic;
using Engram.Core.Values;

namespace Engram.Core
{
    /// <summary>A write request, checked and normalized before anything is touched (the same rules on every backend).</summary>
    internal sealed class CheckedWrite
    {
        public string Namespace = "";
        public string Branch = Names.DefaultBranch;
        public string Key = "";
        public IReadOnlyList<string>? Tags;
        public string Actor = "";
        private string? _contentHash;
        private System.Threading.Tasks.Task<string>? _hashing;

        /// <summary>The value's content hash (waits for the worker computing it, and throws its error, if any).</summary>
        public string ContentHash
        {
            get
            {
                if (_contentHash != null) return _contentHash;
                try { return _contentHash = _hashing!.GetAwaiter().GetResult(); }
                finally { _hashing = null; }
            }
            set { _contentHash = value; _hashing = null; }
        }

        /// <summary>True while the hash is still being computed on a worker thread.</summary>
        public bool HashPending => _contentHash == null && _hashing != null && !_hashing.IsCompleted;

        /// <summary>Hashes a large string on a worker thread, so that a file-store write overlaps it with its I/O.</summary>
        public void StartHashing(string value)
        {
            var delay = WorkerDelay;
            _hashing = System.Threading.Tasks.Task.Run(() =>
            {
                delay?.Invoke();
                return ValueCodec.ContentHash(value);
            });
        }

        /// <summary>Tests: runs on the worker before it hashes (set on the writing thread), to make the overlap certain.</summary>
        [ThreadStatic] internal static Action? WorkerDelay;
    }
}
