using System;
using Engram.Core.Provenance;

namespace Engram.Core
{
    /// <summary>What to delete with <see cref="IEngramStore.Remove"/> or, many at once, <see cref="IEngramStore.RemoveMany"/>.</summary>
    public sealed class RemoveRequest
    {
        public RemoveRequest(string ns, string key)
        {
            Namespace = ns;
            Key = key;
        }

        public string Namespace { get; }
        public string Key { get; }
        public string? Actor { get; set; }
        public string? Reason { get; set; }
        /// <summary>The branch to delete on; null or "main" for the main line.</summary>
        public string? Branch { get; set; }
    }

    /// <summary>What became of one request of <see cref="IEngramStore.SetMany"/>: its result, or the error that refused
    /// it (the same one <see cref="IEngramStore.Set"/> would have thrown; nothing of it was written).</summary>
    public sealed class SetOutcome
    {
        internal SetOutcome(SetRequest request, SetResult? result, Exception? error)
        {
            Request = request;
            Result = result;
            Error = error;
        }

        public SetRequest Request { get; }
        /// <summary>Null when the request was refused (<see cref="Error"/>).</summary>
        public SetResult? Result { get; }
        /// <summary>Why the request was refused (usually an <see cref="EngramException"/>); null when it was written.</summary>
        public Exception? Error { get; }
    }

    /// <summary>What became of one request of <see cref="IEngramStore.RemoveMany"/>.</summary>
    public sealed class RemoveOutcome
    {
        internal RemoveOutcome(RemoveRequest request, bool removed, ProvenanceEntry? entry, Exception? error)
        {
            Request = request;
            Removed = removed;
            Entry = entry;
            Error = error;
        }

        public RemoveRequest Request { get; }
        /// <summary>True when the memory was deleted.</summary>
        public bool Removed { get; }
        /// <summary>The <c>deleted</c> entry written, when the memory was tracked.</summary>
        public ProvenanceEntry? Entry { get; }
        /// <summary>Why the request was refused; null when the memory was deleted.</summary>
        public Exception? Error { get; }
    }
}
