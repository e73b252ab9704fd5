using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using Engram.Core;
using Engram.Core.Values;

namespace Engram.PowerShell
{
    /// <summary>What the cmdlet base needs of a batch, whatever it holds (see <see cref="EngramCommand"/>).</summary>
    internal interface IPipelineBatch
    {
        /// <summary>A record refused before it reached the engine: its error is written in its place in the input order.</summary>
        void AddError(EngramException error);

        /// <summary>Commits what is buffered and writes each record's outcome, in input order.</summary>
        void Flush();
    }

    /// <summary>
    /// The records a writing cmdlet has been piped and not yet committed (Set-EngramMemory, Remove-EngramMemory): they
    /// are committed together, in one engine batch (<see cref="IEngramStore.SetMany"/>), when the batch is full —
    /// <see cref="MaxRecords"/> records, <see cref="MaxBytes"/> bytes of values, or <see cref="MaxMilliseconds"/> since
    /// its first record, checked as each record arrives — and at the end of the pipeline. Each record's output (its
    /// object, its verbose line, or its error) is written only after its batch committed, in input order. A record for
    /// another store than the batch's commits the batch first. No logic of its own: the engine decides every outcome.
    /// </summary>
    internal sealed class PipelineBatch<TRequest, TOutcome> : IPipelineBatch
    {
        /// <summary>Records per batch.</summary>
        internal const int MaxRecords = 1000;

        /// <summary>Bytes of values per batch (each value counted by <see cref="ValueCodec.SizeBound"/>).</summary>
        internal const long MaxBytes = 8L * 1024 * 1024;

        /// <summary>How long the first record of a batch waits for others, at most (checked when a record arrives).</summary>
        internal const int MaxMilliseconds = 250;

        private sealed class Pending
        {
            public TRequest Request = default!;
            public Action<TOutcome>? Report;
            public EngramException? Error;
        }

        private readonly Func<IEngramStore, IReadOnlyList<TRequest>, IReadOnlyList<TOutcome>> _commit;
        private readonly Action<EngramException> _writeError;
        private readonly List<Pending> _pending = new List<Pending>();
        private readonly Stopwatch _age = new Stopwatch();
        private IEngramStore? _store;
        private int _requests;
        private long _bytes;

        public PipelineBatch(Func<IEngramStore, IReadOnlyList<TRequest>, IReadOnlyList<TOutcome>> commit, Action<EngramException> writeError)
        {
            _commit = commit;
            _writeError = writeError;
        }

        /// <summary>
        /// Whether <paramref name="cmdlet"/> batches its records: when it is piped input, unless an error stops it
        /// (-ErrorAction Stop or Inquire, or $ErrorActionPreference so): then each record is written on its own, so nothing
        /// after the first error is written. A call without pipeline input writes at once, as it always did.
        /// </summary>
        public static bool Applies(PSCmdlet cmdlet)
        {
            if (!cmdlet.MyInvocation.ExpectingInput) return false;
            var preference = cmdlet.MyInvocation.BoundParameters.TryGetValue("ErrorAction", out var bound) ? bound
                : cmdlet.SessionState.PSVariable.GetValue("ErrorActionPreference");
            if (preference is PSObject wrapped) preference = wrapped.BaseObject;
            if (preference is string text && Enum.TryParse<ActionPreference>(text, true, out var parsed)) preference = parsed;
            return !(preference is ActionPreference a && (a == ActionPreference.Stop || a == ActionPreference.Inquire));
        }

        /// <summary>Buffers a request for <paramref name="store"/>; <paramref name="report"/> writes its outcome once committed.</summary>
        public void Add(IEngramStore store, TRequest request, long bytes, Action<TOutcome> report)
        {
            if (_requests > 0 && !ReferenceEquals(store, _store)) Flush();
            if (_pending.Count == 0) _age.Restart();
            _store = store;
            _pending.Add(new Pending { Request = request, Report = report });
            _requests++;
            _bytes += bytes;
            if (_requests >= MaxRecords || _bytes >= MaxBytes || _age.ElapsedMilliseconds >= MaxMilliseconds) Flush();
        }

        /// <summary>A record refused before it reached the engine: its error is written in its place in the input order.</summary>
        public void AddError(EngramException error)
        {
            if (_pending.Count == 0) _writeError(error);
            else _pending.Add(new Pending { Error = error });
        }

        /// <summary>Commits what is buffered and writes each record's outcome, in input order.</summary>
        public void Flush()
        {
            if (_pending.Count == 0) return;
            var pending = _pending.ToArray();
            var store = _store;
            _pending.Clear();
            _requests = 0;
            _bytes = 0;
            _store = null;
            var requests = new List<TRequest>();
            foreach (var p in pending) if (p.Report != null) requests.Add(p.Request);
            var outcomes = requests.Count == 0 ? Array.Empty<TOutcome>() : _commit(store!, requests);
            int next = 0;
            foreach (var p in pending)
            {
                if (p.Report == null) _writeError(p.Error!);
                else p.Report(outcomes[next++]);
            }
        }
    }
}
