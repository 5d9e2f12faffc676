using System.Diagnostics;

namespace GRump.Gateway.Diagnostics;

/// <summary>The names of the gateway's ActivitySource and Meter; metric names are part of the product's contract.</summary>
public static class GatewayTelemetry
{
    public const string Name = "GRump.Gateway";

    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>Metric names the seed promised (DESIGN.md, "Diagnostics"); tests read them from /metrics.</summary>
    public static class Metrics
    {
        public const string CompilationDuration = "compilation_duration_seconds";
        public const string WorkerQueueDepth = "worker_queue_depth";
        public const string WorkerActive = "worker_active_tasks";
        public const string WorkerTasks = "worker_tasks_total";
        public const string WorkerWait = "worker_wait_seconds";
        public const string WorkerUtilization = "worker_pool_utilization_percent";
        public const string TimeToFirstToken = "llm_time_to_first_token_seconds";
        public const string StreamDuration = "llm_stream_duration_seconds";
        public const string GatewayOverhead = "gateway_overhead_seconds";
        public const string GenAiTokenUsage = "gen_ai.client.token.usage";
        public const string GenAiOperationDuration = "gen_ai.client.operation.duration";
        public const string GenAiTimeToFirstToken = "gen_ai.server.time_to_first_token";
        public const string UsageEstimated = "llm_usage_estimated_total";
        public const string CostTotal = "llm_cost_usd_total";
        public const string CostPerRequest = "llm_cost_per_request_usd";
        public const string TokensTotal = "llm_tokens_total";
        public const string BudgetAlerts = "budget_alerts_total";
        public const string BudgetOverrun = "budget_overrun_usd_total";
        public const string RateLimited = "rate_limited_requests_total";
        public const string RateLimitFallback = "rate_limit_fallback_total";
        public const string RateLimitShared = "rate_limit_shared";
        public const string LedgerJournalDepth = "ledger_journal_depth";
        public const string LedgerJournalReplayed = "ledger_journal_replayed_total";
        public const string LedgerOutageActive = "ledger_outage_active";
        public const string LedgerOutages = "ledger_outages_total";
        public const string LedgerOutageAdmissions = "ledger_outage_admissions_total";
        public const string ModelSelection = "model_selection_total";
        public const string RoutingSavings = "model_routing_savings_usd_total";
        public const string TaskComplexity = "task_complexity_score";
        public const string RoutingDisagreement = "routing_disagreement_total";
        public const string RoutingShadowCompared = "routing_shadow_compared_total";
        public const string RoutingShadowDropped = "routing_shadow_dropped_total";
        public const string RoutingEmbeddingLookups = "routing_embedding_lookups_total";
        public const string CacheHits = "tiered_cache_hits_total";
        public const string CacheMisses = "tiered_cache_misses_total";
        public const string CacheSize = "tiered_cache_size_bytes";
        public const string CacheFaults = "tiered_cache_faults_total";
        public const string CacheWritesDropped = "tiered_cache_writes_dropped_total";
        public const string CacheCircuitOpen = "tiered_cache_circuit_open";
        public const string CacheSavings = "cache_savings_usd_total";
        public const string BatchSize = "batch_size";
        public const string BatchProcessingRequests = "batch_processing_requests_total";
        public const string EmbeddingBatchWait = "embedding_batch_wait_seconds";
    }
}
