using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace Engram.HelpGen
{
    /// <summary>A parameter's binding in one parameter set.</summary>
    public sealed class SetBinding
    {
        public SetBinding(bool mandatory, int? position, bool byValue, bool byPropertyName, bool remaining)
        {
            Mandatory = mandatory;
            Position = position;
            ByValue = byValue;
            ByPropertyName = byPropertyName;
            Remaining = remaining;
        }

        public bool Mandatory { get; }
        /// <summary>Null: named only.</summary>
        public int? Position { get; }
        public bool ByValue { get; }
        public bool ByPropertyName { get; }
        public bool Remaining { get; }
    }

    /// <summary>A parameter as the engine will bind it, read from the compiled attributes.</summary>
    public sealed class ParameterModel
    {
        public ParameterModel(string name, Type type, bool declaredOnBase)
        {
            Name = name;
            Type = type;
            DeclaredOnBase = declaredOnBase;
        }

        public string Name { get; }
        public Type Type { get; }
        public bool DeclaredOnBase { get; }
        public List<string> Aliases { get; } = new List<string>();
        public bool SupportsWildcards { get; set; }
        /// <summary>Enum names or [ValidateSet] values; null when any value goes.</summary>
        public IReadOnlyList<string>? AcceptedValues { get; set; }
        public string DefaultValue { get; set; } = "None";
        /// <summary>-WhatIf / -Confirm, added by the engine for SupportsShouldProcess.</summary>
        public bool IsRiskMitigation { get; set; }
        /// <summary>Parameter set name → binding (the all-sets name is <see cref="CmdletModel.AllSets"/>).</summary>
        public Dictionary<string, SetBinding> Sets { get; } = new Dictionary<string, SetBinding>(StringComparer.OrdinalIgnoreCase);

        public bool IsSwitch => Type == typeof(SwitchParameter);

        /// <summary>The binding in a set: its own, else the all-sets one; null when not in that set.</summary>
        public SetBinding? In(string set) =>
            Sets.TryGetValue(set, out var b) ? b : Sets.TryGetValue(CmdletModel.AllSets, out var all) ? all : null;

        public bool AnyByValue => Sets.Values.Any(s => s.ByValue);
        public bool AnyByPropertyName => Sets.Values.Any(s => s.ByPropertyName);

        public string PipelineInput =>
            AnyByValue && AnyByPropertyName ? "True (ByValue, ByPropertyName)"
            : AnyByValue ? "True (ByValue)"
            : AnyByPropertyName ? "True (ByPropertyName)"
            : "False";
    }

    /// <summary>A cmdlet class of the module, as reflection sees it.</summary>
    public sealed class CmdletModel
    {
        public const string AllSets = ParameterAttribute.AllParameterSets;

        public CmdletModel(Type type, CmdletAttribute attribute)
        {
            Type = type;
            Verb = attribute.VerbName;
            Noun = attribute.NounName;
            SupportsShouldProcess = attribute.SupportsShouldProcess;
            DefaultParameterSet = attribute.DefaultParameterSetName;
        }

        public Type Type { get; }
        public string Verb { get; }
        public string Noun { get; }
        public string Name => Verb + "-" + Noun;
        public bool SupportsShouldProcess { get; }
        public string? DefaultParameterSet { get; }
        public List<ParameterModel> Parameters { get; } = new List<ParameterModel>();
        /// <summary>[OutputType] types (or PSTypeNames given as strings), in declaration order.</summary>
        public List<string> OutputTypes { get; } = new List<string>();

        /// <summary>Parameter set names, default first; one <see cref="AllSets"/> entry when the cmdlet has no named sets.</summary>
        public List<string> ParameterSets
        {
            get
            {
                var named = Parameters.SelectMany(p => p.Sets.Keys).Where(s => s != AllSets).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                if (named.Count == 0) return new List<string> { AllSets };
                // The default set exists even when no parameter names it (Initialize-EngramStore's "Create": only the
                // parameters of every set), as PowerShell makes it.
                if (DefaultParameterSet != null)
                {
                    named.RemoveAll(s => string.Equals(s, DefaultParameterSet, StringComparison.OrdinalIgnoreCase));
                    named.Insert(0, DefaultParameterSet);
                }
                return named;
            }
        }

        /// <summary>Parameters of a set in syntax order: positional by position, then mandatory, then the rest (declaration order).</summary>
        public IEnumerable<ParameterModel> InSet(string set) =>
            Parameters.Where(p => p.In(set) != null)
                .Select((p, i) => (p, i))
                .OrderBy(x => x.p.In(set)!.Position.HasValue ? 0 : x.p.IsRiskMitigation ? 3 : x.p.In(set)!.Mandatory ? 1 : 2)
                .ThenBy(x => x.p.In(set)!.Position ?? 0)
                .ThenBy(x => x.i)
                .Select(x => x.p);
    }

    /// <summary>Loads the module assembly by path and reads its cmdlets' attributes.</summary>
    public static class CmdletReflector
    {
        /// <summary>The engine's common parameters: never documented per cmdlet (Get-Help adds &lt;CommonParameters&gt;).</summary>
        public static readonly IReadOnlyCollection<string> CommonParameters = new HashSet<string>(PSCmdlet.CommonParameters, StringComparer.OrdinalIgnoreCase);

        public static Assembly Load(string modulePath)
        {
            var full = Path.GetFullPath(modulePath);
            var folder = Path.GetDirectoryName(full)!;
            // The module's own dependencies (Engram.Core, YamlDotNet) sit beside it (bin folder) or in Dependencies/
            // (staged module). System.Management.Automation (referenced as the 3.0.0.0 PowerShellStandard stub)
            // unifies with this tool's SMA 7.6.9.
            AssemblyLoadContext.Default.Resolving += (context, name) =>
            {
                foreach (var dir in new[] { folder, Path.Combine(folder, "Dependencies") })
                {
                    var candidate = Path.Combine(dir, name.Name + ".dll");
                    if (File.Exists(candidate)) return context.LoadFromAssemblyPath(candidate);
                }
                return null;
            };
            return AssemblyLoadContext.Default.LoadFromAssemblyPath(full);
        }

        public static List<CmdletModel> Read(Assembly assembly)
        {
            Type[] types;
            try { types = assembly.GetExportedTypes(); }
            catch (ReflectionTypeLoadException ex) { types = ex.Types.Where(t => t != null).Select(t => t!).ToArray(); }

            var result = new List<CmdletModel>();
            foreach (var type in types.Where(t => t.IsClass && !t.IsAbstract && typeof(Cmdlet).IsAssignableFrom(t)))
            {
                var attribute = type.GetCustomAttribute<CmdletAttribute>();
                if (attribute == null) continue;
                result.Add(ReadCmdlet(type, attribute));
            }
            return result.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList();
        }

        private static CmdletModel ReadCmdlet(Type type, CmdletAttribute attribute)
        {
            var model = new CmdletModel(type, attribute);
            object? instance = null;
            try { instance = Activator.CreateInstance(type); }
            catch (Exception) { /* defaults then show as None */ }

            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var member in ParameterMembers(type))
            {
                if (!seen.Add(member.Name)) continue; // a derived class's member hides the base one
                var parameterAttributes = member.GetCustomAttributes<ParameterAttribute>(true).ToList();
                if (parameterAttributes.Count == 0) continue;
                if (parameterAttributes.All(a => a.DontShow)) continue; // hidden plumbing (PSOrigin): not in help, as in Get-Help
                var memberType = member is PropertyInfo pi ? pi.PropertyType : ((FieldInfo)member).FieldType;
                var p = new ParameterModel(member.Name, memberType, member.DeclaringType != type);
                foreach (var a in parameterAttributes)
                {
                    p.Sets[a.ParameterSetName ?? CmdletModel.AllSets] = new SetBinding(a.Mandatory,
                        a.Position == int.MinValue ? (int?)null : a.Position,
                        a.ValueFromPipeline, a.ValueFromPipelineByPropertyName, a.ValueFromRemainingArguments);
                }
                foreach (var alias in member.GetCustomAttributes<AliasAttribute>(true)) p.Aliases.AddRange(alias.AliasNames);
                p.SupportsWildcards = member.GetCustomAttributes<SupportsWildcardsAttribute>(true).Any();
                var validateSet = member.GetCustomAttributes<ValidateSetAttribute>(true).FirstOrDefault();
                var elementType = Unwrap(memberType);
                if (validateSet != null) p.AcceptedValues = validateSet.ValidValues.ToList();
                else if (elementType.IsEnum) p.AcceptedValues = Enum.GetNames(elementType);
                p.DefaultValue = DefaultOf(member, instance, memberType);
                model.Parameters.Add(p);
            }

            if (model.SupportsShouldProcess)
            {
                foreach (var name in new[] { "WhatIf", "Confirm" })
                {
                    var p = new ParameterModel(name, typeof(SwitchParameter), true) { IsRiskMitigation = true, DefaultValue = "False" };
                    p.Aliases.Add(name == "WhatIf" ? "wi" : "cf");
                    p.Sets[CmdletModel.AllSets] = new SetBinding(false, null, false, false, false);
                    model.Parameters.Add(p);
                }
            }

            foreach (var o in type.GetCustomAttributes<OutputTypeAttribute>(true))
                foreach (var t in o.Type)
                {
                    var name = t.Type?.FullName ?? t.Name;
                    if (!model.OutputTypes.Contains(name)) model.OutputTypes.Add(name);
                }
            return model;
        }

        /// <summary>Public instance properties and fields, the cmdlet's own first, then its base classes' (declaration order).</summary>
        private static IEnumerable<MemberInfo> ParameterMembers(Type type)
        {
            var chain = new List<Type>();
            for (var t = type; t != null && t != typeof(PSCmdlet) && t != typeof(Cmdlet); t = t.BaseType) chain.Add(t);
            foreach (var t in chain)
            {
                var members = t.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                    .Where(m => m is PropertyInfo || m is FieldInfo)
                    .OrderBy(m => m.MetadataToken);
                foreach (var m in members) yield return m;
            }
        }

        private static Type Unwrap(Type t)
        {
            t = Nullable.GetUnderlyingType(t) ?? t;
            return t.IsArray ? t.GetElementType()! : t;
        }

        private static string DefaultOf(MemberInfo member, object? instance, Type type)
        {
            if (type == typeof(SwitchParameter)) return "False";
            if (instance == null) return "None";
            object? value;
            try { value = member is PropertyInfo pi ? pi.GetValue(instance) : ((FieldInfo)member).GetValue(instance); }
            catch (Exception) { return "None"; }
            switch (value)
            {
                case null: return "None";
                case string s: return s.Length == 0 ? "None" : s;
                case bool b: return b ? "True" : "None";
                case Enum e: return e.ToString();
                case IEnumerable seq:
                    var items = seq.Cast<object?>().Select(o => Convert.ToString(o, CultureInfo.InvariantCulture)).ToList();
                    return items.Count == 0 ? "None" : string.Join(", ", items);
                case IConvertible c when value.GetType().IsPrimitive || value is decimal:
                    return Convert.ToDecimal(c, CultureInfo.InvariantCulture) == 0 ? "None" : c.ToString(CultureInfo.InvariantCulture);
                default: return Convert.ToString(value, CultureInfo.InvariantCulture) ?? "None";
            }
        }

        /// <summary>PowerShell-style short type name: String, String[], Int32, SwitchParameter, MergeStrategy.</summary>
        public static string ShortName(Type t)
        {
            var u = Nullable.GetUnderlyingType(t);
            if (u != null) return ShortName(u);
            if (t.IsArray) return ShortName(t.GetElementType()!) + "[]";
            return t.Name;
        }

        public static string FullName(Type t)
        {
            var u = Nullable.GetUnderlyingType(t);
            if (u != null) return FullName(u);
            if (t.IsArray) return FullName(t.GetElementType()!) + "[]";
            return t.FullName ?? t.Name;
        }
    }
}
