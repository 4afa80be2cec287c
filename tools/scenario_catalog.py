"""The named scenarios: the sandbox demo and one e2e scenario per behaviour under test.

Each function builds one `ScenarioPlan` (testsupport/scenarios/); `tools/make_scenarios.py` writes
them. Jobs, features and values are invented; what the pipeline must make of them is derived by the
oracle (testsupport/scenarios/expectation.py) from the same inputs.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from testsupport.scenarios.children import ChildRun, children_of
from testsupport.scenarios.clarify import (
    CHURN_FEATURES,
    analysis_doc,
    clarify,
    labels_doc,
    report_objects,
    shap_values,
    text,
)
from testsupport.scenarios.clock import Clock
from testsupport.scenarios.expectation import error, missing, not_applicable, pending
from testsupport.scenarios.jobs import (
    BUCKET,
    CANDIDATE_FAILURES,
    ENSEMBLE,
    HOLD,
    HPO,
    Doc,
    Job,
    credit_job,
    fit,
    short_hash,
    timeline,
)
from testsupport.scenarios.plan import HubAt, ScenarioPlan, SilentFrom
from testsupport.scenarios.prices import Rate, price_list

ONE_MINUTE = 60  # the default template's schedule rate: scenarios written for first contact and crashes use it

RENEWAL_FEATURES = (
    "seats_purchased seats_active_30d plan_tier months_since_signup invoices_overdue nps_last_survey admin_logins_30d "
    "integrations_enabled support_tickets_open discount_pct industry company_size_band billing_cycle "
    "feature_adoption_score champion_left"
).split()
FRAUD_FEATURES = (
    "amount_usd merchant_category hour_of_day day_of_week card_present distance_from_home_km txn_count_1h "
    "txn_count_24h avg_amount_30d account_age_days device_change_7d ip_country_match billing_shipping_match "
    "failed_logins_24h chargebacks_1y email_domain_age_days is_new_merchant velocity_score currency channel"
).split()
TICKET_FEATURES = (
    "subject_length body_length customer_tier product_area num_attachments contains_error_code sentiment_score "
    "hours_since_last_ticket open_tickets channel"
).split()
HOUSE_FEATURES = (
    "living_area_sqft lot_size_sqft bedrooms bathrooms year_built garage_spaces zip_code school_rating "
    "distance_to_transit_km has_pool"
).split()
ENERGY_FEATURES = (
    "outdoor_temp_c humidity_pct occupancy hour_of_day day_of_week floor_area_m2 hvac_setpoint_c solar_irradiance "
    "is_holiday building_age"
).split()
ETA_FEATURES = (
    "distance_km prep_time_min courier_rating hour_of_day rain_mm traffic_index restaurant_load items_in_order "
    "is_weekend zone_id courier_vehicle"
).split()
AD_FEATURES = (
    "ad_position device_type hour_of_day site_category user_age_band banner_size campaign_id previous_clicks_7d"
).split()
PRIORITY_BASE = {"low": 0.41, "medium": 0.37, "high": 0.22}

# Stops and failures, one state per tick.
STOPPED_AFTER_BEST = timeline(
    "Starting AnalyzingData FeatureEngineering ModelTuning+best Stopping/Stopping Stopped/Stopped"
)
STOPPED_EARLY = timeline("Starting AnalyzingData Stopping/Stopping Stopped/Stopped")
FAILED_EARLY = timeline("Starting AnalyzingData Failed/Failed")
FAILED_LATE = timeline("Starting AnalyzingData FeatureEngineering ModelTuning+best Failed/Failed")
EXPLAINABILITY_FAILED = HPO[:-1] + ["Completed/ExplainabilityError"]


def v2_ensemble(name: str, kind: str, target: str, dataset: str, offset: int, value: float, **changes: object) -> Job:
    """A V2 tabular job (ensembling) whose Clarify output lies in a folder per candidate."""
    job = Job(
        name=name,
        kind=kind,
        api="v2",
        mode="ENSEMBLING",
        target=target,
        dataset=dataset,
        declare_problem_type=True,
        offset=offset,
        objective_value=value,
        steps=list(ENSEMBLE),
    )
    for key, change in changes.items():
        setattr(job, key, change)
    job.explainability_subfolder = job.candidate_name(0)
    return job


def ticket_job(name: str, offset: int, value: float, steps: list[str] | None = None, **changes: object) -> Job:
    """A V1 multiclass job with three class-name labels (low, medium, high)."""
    job = Job(
        name, "multiclass", list(steps or HPO), "priority", "support-tickets", offset=offset, objective_value=value
    )
    job.declare_problem_type = True
    for key, change in changes.items():
        setattr(job, key, change)
    return job


def failed_job(name: str, offset: int, reason: str, steps: list[str] = FAILED_EARLY, **changes: object) -> Job:
    job = Job(name, "binary", list(steps), "is_fraud", "card-txns", offset=offset, failure_reason=reason)
    for key, change in changes.items():
        setattr(job, key, change)
    return job


# ------------------------------------------------------------------------------------------------ demo
def renewal_job(name: str, offset: int, value: float, **changes: object) -> Job:
    """A V1 binary job of the demo's weekly family (`demo-renewal`), all the way to Completed."""
    job = Job(name, "binary", list(HPO), "renewed", "saas-renewals", offset=offset, objective_value=value)
    for key, change in changes.items():
        setattr(job, key, change)
    return job


DEMO_RATES = [
    Rate("us-east-1", instance, usage, price)
    for instance, price in (("ml.m5.2xlarge", "0.4610000000"), ("ml.m5.4xlarge", "0.9220000000"))
    for usage in ("Training", "Processing", "BatchTransform")
]


def typical_children(job: Job, minutes: float) -> Doc:
    """Child jobs as an HPO or ensembling run has them: the data builder and preprocessing on ml.m5.2xlarge,
    the transform on two ml.m5.4xlarge, the trials on ml.m5.4xlarge (`minutes` each, a little more for
    each next one), the last trial on managed spot."""
    runs: dict[str, ChildRun] = {}
    trials = [step["CandidateStepName"] for c in job.candidates() for step in c["CandidateSteps"][-1:]]
    for candidate in job.candidates():
        for step in candidate["CandidateSteps"]:
            name, kind = step["CandidateStepName"], step["CandidateStepType"]
            if kind.endswith("ProcessingJob"):
                runs[name] = ChildRun("ml.m5.2xlarge", 1, start_after=60, seconds=7 * 60)
            elif kind.endswith("TransformJob"):
                runs[name] = ChildRun("ml.m5.4xlarge", 2, start_after=1200, seconds=4 * 60)
            elif name not in trials:
                runs[name] = ChildRun("ml.m5.2xlarge", 1, start_after=600, seconds=9 * 60)
    for index, name in enumerate(trials):
        seconds = (minutes + 3 * index) * 60
        spot = index == len(trials) - 1
        runs[name] = ChildRun(
            "ml.m5.4xlarge", 1, 1500, seconds, billable_seconds=seconds * 0.35 if spot else None, spot=spot
        )
    return children_of(job, runs)


def demo() -> ScenarioPlan:
    clock = Clock("2025-03-11T08:00:00+00:00")
    s = ScenarioPlan("demo", clock, deployed_at=clock.start)
    # (a) completed binary classification, label0, 12 features; problem type only resolved.
    job = Job("demo-churn-binary", "binary", list(HPO), "churned", "telco-churn", offset=75, objective_value=0.8731)
    s.add_features(job, CHURN_FEATURES, expected_value=0.2634)
    job.children = typical_children(job, 24)
    # (b) completed multiclass, three class-name label keys.
    steps = timeline("Starting AnalyzingData FeatureEngineering ModelTuning+best GeneratingExplainabilityReport")
    job = ticket_job("demo-ticket-priority", 210, 0.7964, steps + ["Completed/Completed"])
    s.add_available(job, labels_doc(job, TICKET_FEATURES, {"low": 0.4122, "medium": 0.3561, "high": 0.2317}))
    job.children = typical_children(job, 15)
    # (c) completed regression (ensembling), analysis.json one auto-named folder below the prefix.
    job = Job("demo-house-value", "regression", [], "sale_price_k", "home-sales", mode="ENSEMBLING", offset=330)
    job.steps = timeline(
        "Starting AnalyzingData TrainingModels+best GeneratingExplainabilityReport Completed/Completed"
    )
    job.declare_problem_type, job.objective_value = True, 41.27
    s.add_features(job, HOUSE_FEATURES, 412.6, folder="demo-house-value-explainability-2503110912-7c1e")
    job.children = typical_children(job, 38)
    # (d) failed during data analysis: no best candidate.
    reason = (
        "ClientError: The target attribute 'is_fraud' has only one unique value in the training data. "
        "BinaryClassification needs at least two classes."
    )
    s.add(failed_job("demo-fraud-failed", 130, reason, declare_problem_type=True), explainability=not_applicable())
    # (e) stopped by a user during tuning, after a best candidate existed; Clarify never ran.
    job = Job("demo-ltv-stopped", "regression", STOPPED_AFTER_BEST, "ltv_12m_usd", "customer-ltv", offset=420)
    job.objective_value = 57.93
    s.add(job, explainability=missing("empty"))
    job.children = typical_children(job, 12)
    # (f) completed, but the explainability report failed; two partial failures.
    job = credit_job("demo-credit-risk", 515, steps=EXPLAINABILITY_FAILED, other_candidates=2, failed_candidates=1)
    job.partial_failures = [
        f"Explainability report generation failed for the best candidate '{job.candidate_name(0)}': SageMaker "
        f"Clarify processing job '{job.name}-xai-{short_hash(job.name, 'xai', n=12)}' failed with ClientError: "
        "could not compute the SHAP baseline because column 'annual_income' holds non-numeric values ('n/a') "
        "in 412 rows.",
        f"Candidate '{job.candidate_name(2)}' failed: {CANDIDATE_FAILURES[0]}",
    ]
    s.add(job, explainability=error("explainabilityerror"))
    job.children = typical_children(job, 20)
    # (g) completed V2 tabular job (ensembling), Clarify output in a per-candidate folder.
    job = v2_ensemble("demo-energy-use-v2", "regression", "kwh_next_day", "building-energy", 610, 23.84)
    s.add_features(job, ENERGY_FEATURES, expected_value=182.4)
    job.children = typical_children(job, 30)
    # (h) a family retrained every week (`demo-renewal`): four runs that ended before the deploy, improving and
    # then falling back, enter the table through a history import at tick 1; this week's run falls back again.
    for week, value in enumerate((0.7814, 0.8042, 0.8261, 0.8187)):
        created = clock.start - timedelta(days=7 * (4 - week))
        past = renewal_job(f"demo-renewal-{created:%Y-%m-%d}", 270, value, clock=Clock(created.isoformat()), past=True)
        s.add_features(past, RENEWAL_FEATURES, expected_value=0.38)
        past.children = typical_children(past, 18 + 2 * week)
    current = renewal_job("demo-renewal-2025-03-11", 270, 0.8093)
    s.add_features(current, RENEWAL_FEATURES, expected_value=0.38)
    current.children = typical_children(current, 21)
    s.prices = price_list(DEMO_RATES)
    s.backfill(1, clock.start - timedelta(days=35), clock.start)
    return s


# ------------------------------------------------------------------------------------------------- e2e
def e2e_binary() -> ScenarioPlan:
    s = ScenarioPlan("binary", Clock("2025-04-01T09:00:00+00:00"))
    job = Job("bin-renewal", "binary", list(HPO), "renewed", "saas-renewals", offset=95, objective_value=0.8815)
    pdp = {
        "feature_name": "seats_active_30d",
        "data_type": "numerical",
        "feature_values": [1, 5, 20, 80],
        "model_predictions": [[0.21, 0.48, 0.77, 0.91]],
    }
    s.add_features(job, RENEWAL_FEATURES, expected_value=0.6123, extra_sections={"pdp": [pdp]})
    return s


def e2e_regression_nested() -> ScenarioPlan:
    s = ScenarioPlan("regression_nested", Clock("2025-04-02T10:00:00+00:00"))
    steps = HPO[:-1] + ["Completed/MaxCandidatesReached"]
    job = Job("reg-delivery-eta", "regression", steps, "delivery_minutes", "deliveries", offset=140)
    job.objective_value = 38.61
    folder = "reg-delivery-eta-explainability-2504021105-0b9d"
    doc = analysis_doc(
        {"delivery_minutes": shap_values(job.name, ETA_FEATURES, 0.05, 4.0)}, {"delivery_minutes": [31.72]}
    )
    bias = {
        "label": "delivery_minutes",
        "facets": {
            "zone_id": [
                {
                    "value_or_threshold": "7",
                    "metrics": [{"name": "CI", "description": "Class Imbalance (CI)", "value": 0.31}],
                }
            ]
        },
    }
    # Clarify's per-row SHAP output sits beside it; a bias run's analysis.json lies deeper but lists first:
    # the shallowest analysis.json is the one to read.
    extra = {
        f"{job.explainability_prefix}/{folder}/explanations_shap/out.csv": text(
            "distance_km,prep_time_min,courier_rating\n1.92,0.44,-0.13\n"
        ),
        f"{job.explainability_prefix}/clarify-bias-2504021058-77aa/pre_training/analysis.json": {
            "version": "1.0",
            "pre_training_bias_metrics": bias,
        },
    }
    s.add_available(job, doc, ("pdf", "html"), folder, extra)
    return s


# Multiclass: four class-name label keys, features missing from some labels (they count as 0), exact ties.
# Values are multiples of 1/1024 so sums and the division by four are exact in binary floating point:
# ties are true ties, and the feature name decides, including at the top-10 cut. (Totals that are 32 mod 64
# would put the mean exactly on a 6-decimal rounding edge, so none is.)
LANDCOVER_UNITS: dict[
    str, tuple[int | None, ...]
] = {  # feature: (forest, grassland, urban, water); None = absent from that label
    "ndvi_mean": (300, 220, 40, 60),  # 620 -> 1st
    "nir_reflectance": (200, 200, None, 200),  # 600 -> tie, nir < swir1
    "swir1_reflectance": (600, None, None, None),  # 600: only one label has it
    "building_density": (None, None, 484, None),  # 484 -> tie with water_index_ndwi
    "water_index_ndwi": (40, 40, 44, 360),  # 484
    "distance_to_road_km": (60, 120, 200, 20),  # 400 -> three-way tie
    "elevation_m": (120, 100, 80, 100),  # 400
    "slope_deg": (160, 80, 40, 120),  # 400
    "soil_moisture": (80, 120, 20, 140),  # 360
    "rainfall_mm": (None, 200, 40, 100),  # 340 -> 10th: ties with red_reflectance, wins on name
    "red_reflectance": (100, 60, 120, 60),  # 340 -> 11th, cut
    "blue_reflectance": (40, 40, 100, 80),  # 260
    "texture_contrast": (None, 40, 160, None),  # 200
    "month": (20, 60, None, 20),  # 100
    "cloud_cover_pct": (10, 10, 10, 10),  # 40
    "aspect_deg": (30, None, None, None),  # 30
}
LANDCOVER_CLASSES = ("forest", "grassland", "urban", "water")


def e2e_multiclass() -> ScenarioPlan:
    s = ScenarioPlan("multiclass", Clock("2025-04-03T11:00:00+00:00"))
    job = Job("mc-landcover", "multiclass", list(HPO), "land_cover", "landcover-tiles", offset=180)
    job.objective_value = 0.8342
    labels = {}
    for i, cls in enumerate(LANDCOVER_CLASSES):
        present = [(f, unit) for f, units in LANDCOVER_UNITS.items() if (unit := units[i]) is not None]
        random.Random(cls).shuffle(present)  # each label lists its features in its own order
        labels[cls] = {f: u / 1024 for f, u in present}
    s.add_available(
        job, analysis_doc(labels, {"forest": 0.2875, "grassland": 0.2210, "urban": 0.3105, "water": 0.1810})
    )
    return s


def e2e_v2_tabular() -> ScenarioPlan:
    s = ScenarioPlan("v2_tabular", Clock("2025-04-04T12:00:00+00:00"))
    s.add_features(v2_ensemble("v2-tab-fraud", "binary", "is_fraud", "card-txns", 160, 0.9123), FRAUD_FEATURES, 0.0214)
    return s


def e2e_v2_timeseries() -> ScenarioPlan:
    s = ScenarioPlan("v2_timeseries", Clock("2025-04-05T13:00:00+00:00"))
    ts_config = {
        "CompletionCriteria": {"MaxAutoMLJobRuntimeInSeconds": 21600},
        "ForecastFrequency": "W",
        "ForecastHorizon": 8,
        "ForecastQuantiles": ["p10", "p50", "p90"],
        "Transformations": {
            "Filling": {
                "units_sold": {"middlefill": "zero", "backfill": "zero"},
                "price": {"middlefill": "median", "futurefill": "median"},
            },
            "Aggregation": {"units_sold": "sum"},
        },
        "TimeSeriesConfig": {
            "TargetAttributeName": "units_sold",
            "TimestampAttributeName": "week_start",
            "ItemIdentifierAttributeName": "sku",
            "GroupingAttributeNames": ["store_id"],
        },
        "HolidayConfig": [{"CountryCode": "US"}],
    }
    job = v2_ensemble("v2-ts-demand", "timeseries", "units_sold", "store-demand", 200, 0.1387, ts_config=ts_config)
    job.declare_problem_type = False
    job.steps = timeline("Starting PreTraining TrainingModels+best GeneratingExplainabilityReport Completed/Completed")
    # Time-series explainability reports impact scores, not kernel SHAP (stand-in schema): reported as missing.
    scores = {"price": -0.4213, "promo_flag": 0.3377, "holiday_US": 0.1182, "store_id": 0.0641}
    impact = {"version": "1.0", "explanations": {"impact_scores": {"units_sold": {"global": scores}}}}
    objects = {f"{job.explainability_prefix}/analysis.json": impact} | report_objects(
        job.explainability_prefix, "v2-ts-demand explainability", ("pdf",)
    )
    s.add(job, objects, missing("time"))
    return s


def e2e_failed() -> ScenarioPlan:
    s = ScenarioPlan("failed", Clock("2025-04-06T14:00:00+00:00"))
    job = Job("failed-early", "binary", FAILED_EARLY, "converted", "web-sessions", offset=110)
    job.failure_reason = (
        "ClientError: Could not find the target attribute 'converted' in the header of "
        f"s3://{BUCKET}/datasets/web-sessions/train/part-0000.csv. Check TargetAttributeName."
    )
    s.add(job, explainability=not_applicable())
    # Failed after a best candidate existed: its Explainability prefix is empty, so missing, not not_applicable.
    job = Job("failed-late", "regression", FAILED_LATE, "basket_value", "baskets", offset=340, objective_value=12.93)
    job.failure_reason = (
        "InternalServerError: An internal error occurred while tuning candidates. "
        "Retry the job; if it fails again, contact AWS Support."
    )
    s.add(job, explainability=missing("empty"))
    return s


def e2e_stopped() -> ScenarioPlan:
    s = ScenarioPlan("stopped", Clock("2025-04-07T15:00:00+00:00"))
    # Best candidate appears mid-tuning (same status, newer LastModifiedTime), Clarify has written its output
    # when the user stops the job: explainability follows the prefix.
    steps = timeline(
        "Starting AnalyzingData FeatureEngineering ModelTuning ModelTuning+best GeneratingExplainabilityReport "
        "Stopping/Stopping Stopped/Stopped"
    )
    job = Job("stopped-after-best", "binary", steps, "clicked", "ad-clicks", offset=120, objective_value=0.7719)
    s.add_features(job, AD_FEATURES, expected_value=0.0871)
    job = Job("stopped-before-best", "multiclass", STOPPED_EARLY, "segment", "customers", offset=300)
    s.add(job, explainability=not_applicable())
    # Still stopping when the scenario ends: not terminal, so pending and never notified, whatever S3 holds.
    steps = timeline("Starting AnalyzingData FeatureEngineering ModelTuning+best Stopping/ModelTuning = =")
    job = Job("stopping-stuck", "regression", steps, "rent_eur", "rentals", offset=480, objective_value=88.4)
    doc = analysis_doc(
        {"label0": shap_values(job.name, ["area_m2", "rooms", "district", "floor", "balcony"])}, {"label0": 1040.0}
    )
    s.add(job, clarify(job, doc), pending())
    return s


@dataclass(frozen=True)
class LongFailure:
    """A partial failure message as the service quotes it: a head plus the tail of a log, cut to `length`."""

    head: str
    filler: str  # one log line, `{n}` counting up
    length: int

    def message(self) -> str:
        return fit(self.head + " Log tail:", self.filler, self.length)


def long_failures(job: Job) -> list[str]:
    """Five partial failure messages of about 1,000 characters each (the API's maximum is 1,024)."""
    cases = [
        LongFailure(
            f"Explainability report generation failed for the best candidate '{job.candidate_name(0)}': SageMaker "
            f"Clarify processing job '{job.name}-xai-{short_hash(job.name, 1, n=12)}' failed with AlgorithmError: "
            "MemoryError while computing kernel SHAP for 4096 rows x 64 features.",
            ' File "/opt/ml/code/analyzer/explain.py", line {n}, in run shap_values = explainer.shap_values(batch)'
            ' File "/usr/local/lib/python3.10/site-packages/shap/explainers/_kernel.py", line 190, in shap_values',
            1000,
        ),
        LongFailure(
            f"Candidate '{job.candidate_name(2)}' failed: AlgorithmError: ExecuteUserScriptError: Command "
            '"/usr/local/bin/python3 -m sagemaker_xgboost_container.training" exited with code 137 on '
            "ml.m5.4xlarge (out of memory).",
            " [2025-04-08 16:41:{n:02d}] INFO - [{n}]#011train-logloss:0.2{n:02d}#011validation-logloss:0.3{n:02d}",
            1011,
        ),
        LongFailure(
            f"Candidate '{job.candidate_name(3)}' failed: ClientError: Data download failed: the object "
            f"s3://{BUCKET}/autopilot/{job.name}/preprocessed-data/tuning_data/train/chunk_23.csv could not be read.",
            " botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation:"
            " Access Denied (retry {n});",
            1024,
        ),
        LongFailure(
            f"Model insights report for '{job.candidate_name(0)}' was not generated: the model quality monitoring "
            "job exited with ClientError: predicted labels column 'predicted_label' not found in the transform output.",
            " KeyError: 'predicted_label' (analyzer/model_quality.py:{n}, columns found: probability, labels,"
            " probabilities);",
            996,
        ),
        LongFailure(
            f"Explainability baseline for '{job.candidate_name(0)}' could not be built: K-means clustering of the "
            "baseline sample did not converge after 300 iterations; retrying with a random baseline also failed.",
            " ConvergenceWarning: Number of distinct clusters ({n}) found smaller than n_clusters (10). Possibly due"
            " to duplicate points in X.",
            1023,
        ),
    ]
    messages = [case.message() for case in cases]
    messages[4] += "\u2026"  # truncated by the service: a non-ASCII ellipsis makes it 1,024 characters
    return messages


def candidate_failures(job: Job, indexes: tuple[int, ...]) -> list[str]:
    return [f"Candidate '{job.candidate_name(i)}' failed: {CANDIDATE_FAILURES[i % 2]}" for i in indexes]


def e2e_explainability_error_partial() -> ScenarioPlan:
    s = ScenarioPlan("explainability_error_partial", Clock("2025-04-08T16:00:00+00:00"))
    # ExplainabilityError takes precedence even though a valid analysis.json is under the prefix.
    job = credit_job("xai-error-five", 150, steps=EXPLAINABILITY_FAILED, other_candidates=3, failed_candidates=2)
    job.partial_failures = long_failures(job)
    doc = analysis_doc({"label0": shap_values(job.name, CHURN_FEATURES)}, {"label0": 0.31})
    s.add(job, clarify(job, doc), error("explainabilityerror"))
    # Completed with two failed candidates: partial failures, explainability still available.
    job = credit_job("partial-ok-two", 420, other_candidates=3, failed_candidates=2)
    job.partial_failures = candidate_failures(job, (2, 3))
    s.add_features(job, RENEWAL_FEATURES[:11], expected_value=0.2211)
    return s


BIAS_ONLY = {
    "version": "1.0",
    "post_training_bias_metrics": {
        "label": "defaulted",
        "facets": {
            "applicant_age_band": [
                {
                    "value_or_threshold": "18-25",
                    "metrics": [
                        {
                            "name": "DPPL",
                            "description": "Difference in Positive Proportions in Predicted Labels (DPPL)",
                            "value": 0.084,
                        }
                    ],
                }
            ]
        },
        "label_value_or_threshold": "1",
    },
}
PDP_ONLY = {
    "version": "1.0",
    "explanations": {
        "pdp": [
            {
                "feature_name": "income",
                "data_type": "numerical",
                "feature_values": [20000, 60000],
                "model_predictions": [[0.31, 0.12]],
            }
        ]
    },
}


def latin1_analysis() -> Doc:
    """Valid JSON text in Latin-1 bytes: not UTF-8."""
    values = {"revenu_annuel": 0.041, "ann\u00e9es_client": 0.027, "d\u00e9couvert": 0.019}
    doc = analysis_doc({"label0": values}, {"label0": 0.12})
    return {"base64": base64.b64encode(json.dumps(doc, ensure_ascii=False).encode("latin-1")).decode()}


def e2e_corrupt() -> ScenarioPlan:
    s = ScenarioPlan("corrupt", Clock("2025-04-09T17:00:00+00:00"))
    offsets = iter(range(70, 700, 65))

    def add(name: str, analysis: object, explainability: Doc, reports: tuple[str, ...] = ()) -> None:
        job = credit_job(name, next(offsets))
        objects = {} if analysis is None else {f"{job.explainability_prefix}/analysis.json": analysis}
        s.add(job, objects | report_objects(job.explainability_prefix, job.name, reports), explainability)

    add("bad-not-json", text('{"version": "1.0", "explanations": {"kernel_sh'), error("json"), ("pdf", "html", "ipynb"))
    add("bad-not-utf8", latin1_analysis(), error("utf-8"))
    add("bad-explanations-list", {"version": "1.0", "explanations": ["kernel_shap"]}, error("explanations"))
    # A label entry is a list, not {global_shap_values, expected_value}.
    label_list = {"version": "1.0", "explanations": {"kernel_shap": {"label0": [0.041, 0.027, 0.019]}}}
    add("bad-label-not-object", label_list, error("global_shap_values"))
    add("bad-bias-only", BIAS_ONLY, missing("explanations"))  # no explanations at all
    add("bad-pdp-only", PDP_ONLY, missing("kernel_shap"))  # explanations without a kernel_shap section
    add("bad-no-analysis", None, missing("analysis.json"), ("pdf",))  # reports only
    add("bad-empty-prefix", None, missing("empty"))
    s.add(credit_job("bad-no-location", next(offsets), explainability=False), explainability=missing("location"))
    return s


def e2e_many_features() -> ScenarioPlan:
    s = ScenarioPlan("many_features", Clock("2025-04-10T18:00:00+00:00"))
    job = Job("wide-3000-features", "binary", list(HPO), "failure_within_7d", "sensor-wide", offset=100)
    job.objective_value = 0.6912
    features = [f"sensor_{i:04d}" for i in range(3000)]
    random.Random("wide").shuffle(features)
    s.add_features(job, features, expected_value=0.0432)
    return s


def e2e_duplicates_shuffled() -> ScenarioPlan:
    s = ScenarioPlan("duplicates_shuffled", Clock("2025-04-11T19:00:00+00:00"))
    s.delivery.update(duplicates=2, shuffle=True, seed=7)
    # Four jobs changing in the same ticks, so shuffling reorders real work.
    job = Job("dup-binary", "binary", list(HPO), "churned", "telco-churn", offset=90, objective_value=0.8544)
    s.add_features(job, CHURN_FEATURES)
    job = ticket_job("dup-multiclass", 240, 0.7733)
    s.add_available(job, labels_doc(job, TICKET_FEATURES[:4] + ["sentiment_score", "channel"], PRIORITY_BASE))
    job = v2_ensemble("dup-v2-regression", "regression", "kwh_next_day", "building-energy", 390, 27.15)
    s.add_features(job, ["outdoor_temp_c", "humidity_pct", "occupancy", "hour_of_day", "is_holiday"], 175.0)
    reason = (
        "ClientError: Feature engineering failed: the training data has 412 rows after removing rows with a "
        "missing target; at least 500 rows are required."
    )
    steps = timeline("Starting AnalyzingData FeatureEngineering Failed/Failed")
    s.add(failed_job("dup-failed", 540, reason, steps, declare_problem_type=True), explainability=not_applicable())
    return s


def e2e_faults() -> ScenarioPlan:
    s = ScenarioPlan("faults", Clock("2025-04-12T20:00:00+00:00"))
    s.delivery.update(seed=3, faults={"sagemaker": 0.2, "s3": 0.2, "dynamodb": 0.2, "sns": 0.2, "events": 0.2})
    # Trailing HOLD ticks give retries room after the terminal state.
    job = Job("faults-binary", "binary", HPO + [HOLD, HOLD], "renewed", "saas-renewals", offset=80)
    job.objective_value = 0.8611
    s.add_features(job, RENEWAL_FEATURES)
    job = v2_ensemble("faults-v2-multiclass", "multiclass", "priority", "support-tickets", 330, 0.7802)
    job.steps = ENSEMBLE + [HOLD, HOLD]
    features = TICKET_FEATURES[:4] + ["sentiment_score"]
    s.add_available(job, labels_doc(job, features, {"low": 0.40, "medium": 0.38, "high": 0.22}))
    return s


# ---------------------------------------------------------------------------------------- first contact
FIRST_CONTACT_DEPLOY = "2026-11-02T08:00:00+00:00"
OLD_FEATURES = "tenure_months monthly_charges contract_type support_calls_90d region last_login_days".split()
OLD_REASONS = (
    "ClientError: Could not find the target attribute in the header of the training data. Check TargetAttributeName.",
    "ClientError: The training data has fewer than 500 rows after removing rows with a missing target.",
    "InternalServerError: An internal error occurred while tuning candidates. Retry the job.",
)


def add_old_job(s: ScenarioPlan, index: int) -> None:
    """One of the jobs that ended 2 to 8 weeks before the deploy: mixed outcomes, a sixth with Clarify output."""
    days = 14 + (index * 43) % 44  # created 14-57 days before the deploy, in no particular order
    clock = Clock((s.clock.start - timedelta(days=days, hours=index % 9)).isoformat())
    name = f"hist-{index:02d}-" + ("churn", "fraud", "ltv", "tickets")[index % 4]
    offset = 80 + 20 * index
    outcome = index % 6
    if outcome == 0:  # Completed, with Clarify output
        job = credit_job(name, offset, clock=clock, past=True)
        s.add_available(job, analysis_doc({"label0": shap_values(job.name, OLD_FEATURES)}, {"label0": 0.25}), ("pdf",))
    elif outcome in (1, 2):  # Completed: Clarify wrote nothing, or the best candidate names no location
        job = credit_job(name, offset, clock=clock, past=True, explainability=outcome == 1)
        s.add(job, explainability=missing("empty" if outcome == 1 else "location"))
    elif outcome == 3:  # failed during data analysis
        s.add(failed_job(name, offset, OLD_REASONS[index % 2], clock=clock, past=True), explainability=not_applicable())
    elif outcome == 4:  # failed while tuning, after a best candidate existed
        job = failed_job(name, offset, OLD_REASONS[2], FAILED_LATE, clock=clock, past=True, objective_value=0.7712)
        s.add(job, explainability=missing("empty"))
    else:  # stopped by a user before any candidate
        s.add(credit_job(name, offset, STOPPED_EARLY, clock=clock, past=True), explainability=not_applicable())


def first_contact() -> ScenarioPlan:
    """Deployed into an account with history: 24 jobs that ended weeks before, 2 running at the deploy,
    11 created after it; a history import of the two months before the deploy at tick 3."""
    clock = Clock(FIRST_CONTACT_DEPLOY, ONE_MINUTE)
    s = ScenarioPlan("first_contact", clock, deployed_at=clock.start)
    for index in range(24):
        add_old_job(s, index)
    # Running at the deploy: last modified long before the first tick's window (watch start minus the overlap).
    steps = timeline("ModelTuning ModelTuning+best GeneratingExplainabilityReport = Completed/Completed")
    job = credit_job("run-at-deploy-churn", 110, steps, running_since=timedelta(minutes=50), other_candidates=6)
    s.add_available(job, analysis_doc({"label0": shap_values(job.name, OLD_FEATURES)}, {"label0": 0.3}), ("pdf",))
    steps = timeline("FeatureEngineering ModelTuning+best = Failed/Failed")
    job = failed_job("run-at-deploy-fraud", 260, OLD_REASONS[2], steps, running_since=timedelta(hours=3))
    job.objective_value = 0.8021
    s.add(job, explainability=missing("empty"))
    add_new_jobs(s)
    s.backfill(3, clock.start - timedelta(days=61), clock.start)
    return s


# Shorter lives than HPO and ENSEMBLE (four states), so three regions run in well under a minute.
QUICK = timeline("Starting FeatureEngineering ModelTuning+best Completed/Completed")
QUICK_ENSEMBLE = timeline("Starting TrainingModels+best GeneratingExplainabilityReport Completed/Completed")


def add_new_jobs(s: ScenarioPlan) -> None:
    """Eleven jobs created after the deploy, changing state every tick, mixed outcomes."""
    s.add_features(credit_job("new-credit", 70, QUICK), CHURN_FEATURES[:6], reports=("pdf",))
    job = credit_job("new-partial", 130, QUICK, other_candidates=3, failed_candidates=2)
    job.partial_failures = candidate_failures(job, (2, 3))
    s.add_features(job, RENEWAL_FEATURES[:5], reports=("pdf",))
    job = ticket_job("new-tickets", 190, 0.7911, QUICK)
    s.add_available(job, labels_doc(job, TICKET_FEATURES[:5], PRIORITY_BASE), ("pdf",))
    job = Job("new-eta", "regression", QUICK, "delivery_minutes", "deliveries", offset=250, objective_value=35.2)
    s.add_features(job, ETA_FEATURES[:5], expected_value=31.0, reports=("pdf",))
    job = v2_ensemble("new-v2-energy", "regression", "kwh_next_day", "building-energy", 310, 25.5, steps=QUICK_ENSEMBLE)
    s.add_features(job, ENERGY_FEATURES[:5], expected_value=180.0, reports=("pdf",))
    job = credit_job("new-xai-error", 370, QUICK[:-1] + ["Completed/ExplainabilityError"], failed_candidates=1)
    job.partial_failures = candidate_failures(job, (2,))
    s.add(job, explainability=error("explainabilityerror"))
    s.add(failed_job("new-failed-early", 430, OLD_REASONS[0]), explainability=not_applicable())
    steps = timeline("Starting ModelTuning+best Failed/Failed")
    s.add(
        failed_job("new-failed-late", 490, OLD_REASONS[2], steps, objective_value=0.7432),
        explainability=missing("empty"),
    )
    s.add(
        credit_job("new-stopped-early", 550, timeline("Starting Stopping/Stopping Stopped/Stopped")),
        explainability=not_applicable(),
    )
    steps = timeline("Starting ModelTuning+best Stopping/Stopping Stopped/Stopped")
    s.add(credit_job("new-stopped-late", 610, steps), explainability=missing("empty"))
    job = v2_ensemble(
        "new-v2-fraud", "binary", "is_fraud", "card-txns", 660, 0.9034, other_candidates=4, steps=QUICK_ENSEMBLE
    )
    s.add_features(job, FRAUD_FEATURES[:6], expected_value=0.02, reports=("pdf",))


# --------------------------------------------------------------------------------------------- crashes
CRASHES_SEED = 2


def crashes() -> ScenarioPlan:
    """Hard stops after any AWS call (30 % of invocations), transient faults on every service, every event
    delivered twice and shuffled: every record right, every notification sent at least once."""
    clock = Clock("2026-06-01T09:00:00+00:00", ONE_MINUTE)
    s = ScenarioPlan("crashes", clock, deployed_at=clock.start)
    s.delivery.update(duplicates=1, shuffle=True, seed=CRASHES_SEED, crashes=0.3)
    s.delivery["faults"] = dict.fromkeys(s.delivery["faults"], 0.1)
    add_new_jobs(s)
    s.drop({"new-eta", "new-v2-energy", "new-stopped-early"})  # eight of the eleven still cover every outcome
    for job in s.jobs:  # trailing ticks: room for retries after the last change
        job.steps = job.steps + [HOLD, HOLD]
    return s


# ------------------------------------------------------------------------------------------ hostile text
# Column names, messages and reasons as a customer's data can carry them: markup of every medium, terminal
# escapes, bidi and zero-width characters. The pipeline must keep them as data and show them, never obey.
HOSTILE_FEATURES = [
    "[click](https://evil.example/x)",
    "<https://evil.example|x> <!channel> @here",
    "\x1b[31mred\x1b[0m\x1b]0;owned\x07",
    "[bold]rich[/bold] [link=https://evil.example]x",
    "\u202egnp.exe\u200b",
    "tenure\rmonths",
    "bad\udc80name",  # a JSON escape that parses to a lone surrogate, which DynamoDB cannot store
    "<img src=x onerror=alert(document.domain)>",  # HTML: a report page shows it as text
    "javascript:alert(document.cookie)",  # a link's target where data could become one
]
HOSTILE_LABEL = "churned <!everyone> \x9b31m"


def e2e_hostile_text() -> ScenarioPlan:
    s = ScenarioPlan("hostile_text", Clock("2025-04-13T09:00:00+00:00"))
    job = credit_job("hostile-features", 120, objective_value=0.8113)
    job.partial_failures = [
        "Candidate failed: \x1b[2J\x1b[Hscreen cleared <@U1> [x](https://evil.example/y)",
        "Job in the SageMaker console:\n  https://evil.example/phish",
    ]
    doc = analysis_doc({HOSTILE_LABEL: shap_values(job.name, HOSTILE_FEATURES)}, {HOSTILE_LABEL: 0.3})
    s.add_available(job, doc)
    failed = failed_job(
        "hostile-failed",
        260,
        "ClientError: bad column '\x1b]8;;https://evil.example\x07click\x1b]8;;\x07'\n"
        "Job in the SageMaker console:\n  https://evil.example/phish\r\nStatus: Completed",
    )
    s.add(failed, explainability=not_applicable())
    return s


# ------------------------------------------------------------------------------------ families, stuck, digest
def families() -> ScenarioPlan:
    """Two families of three runs each, ending one after another: a binary one whose objective rises then
    falls (higher is better) and a regression one whose MSE falls then rises (lower is better). Each marks
    exactly one new best, against the right previous best."""
    clock = Clock("2026-07-06T09:00:00+00:00", ONE_MINUTE)
    s = ScenarioPlan("families", clock, deployed_at=clock.start)
    start = timeline("Starting AnalyzingData ModelTuning+best")
    for index, value in enumerate((0.8312, 0.8655, 0.8471)):
        steps = start + [HOLD] * (2 * index) + ["Completed/Completed"]
        job = credit_job(f"churn-2026-07-0{6 + index}", 90 + 40 * index, steps, objective_value=value)
        s.add_features(job, CHURN_FEATURES[:5], expected_value=0.31)
    for index, value in enumerate((41.9, 37.25, 39.6)):
        steps = timeline("Starting AnalyzingData TrainingModels+best") + [HOLD] * (2 * index) + ["Completed/Completed"]
        job = Job(f"prices-2026-07-0{6 + index}", "regression", steps, "price_eur", "listings", offset=300 + 40 * index)
        job.declare_problem_type, job.objective_value = True, value
        s.add(job, explainability=missing("empty"))
    return s


def stuck_digest() -> ScenarioPlan:
    """A job that sits in ModelTuning for over four hours (past stuckAfterMinutes) before it completes:
    exactly one "may be stuck" message. A quick job beside it never alerts. The digest runs once at the
    end, as its schedule would, and its counts match the records."""
    clock = Clock("2026-08-03T06:00:00+00:00", ONE_MINUTE)
    s = ScenarioPlan("stuck_digest", clock, deployed_at=clock.start)
    steps = timeline("Starting AnalyzingData ModelTuning+best") + ["Completed/Completed"]
    job = credit_job("tune-stall-2026-08-03", 120, steps, objective_value=0.7721)
    job.pause = (3, timedelta(minutes=255))
    s.add(job, explainability=missing("empty"))
    quick = credit_job("quick-2026-08-03", 200, timeline("Starting ModelTuning+best") + ["Completed/Completed"])
    s.add(quick, explainability=missing("empty"))
    failed = failed_job("fails-2026-08-03", 260, "ClientError: The target attribute 'is_fraud' was not found.")
    s.add(failed, explainability=not_applicable())
    s.digests = [s.last_tick + 1]
    return s


# ------------------------------------------------------------------------------------------------- cost
def e2e_cost() -> ScenarioPlan:
    """What a job cost (docs/design.md §4, `compute`): three candidates that share the data builder
    (processing), the preprocessing pipeline's training job and its transform job (two instances); one
    trial on managed spot (billed for 840 of its 2,400 seconds); one trial that cannot be described (the
    simulator answers it does not exist). The served prices cover us-east-1 and, to be filtered out,
    eu-west-1; every usage of both instance types, and Hosting besides."""
    s = ScenarioPlan("cost", Clock("2026-03-02T09:00:00+00:00"))
    job = credit_job("cost-churn-2026-03", offset=110, objective_value=0.8512)
    s.add_features(job, CHURN_FEATURES[:6], expected_value=0.27)
    first, spot, _undescribed = (job.candidate_name(index) for index in range(3))
    shared = {step["CandidateStepName"]: step["CandidateStepType"] for step in job.candidate_steps(first)[:3]}
    builder, preprocessing, transform = shared
    job.children = children_of(
        job,
        {
            builder: ChildRun("ml.m5.2xlarge", 1, start_after=60, seconds=481.5),
            preprocessing: ChildRun("ml.m5.2xlarge", 1, start_after=600, seconds=905),
            transform: ChildRun("ml.m5.4xlarge", 2, start_after=1560, seconds=312.25),
            first: ChildRun("ml.m5.4xlarge", 1, start_after=1900, seconds=1800),
            spot: ChildRun("ml.m5.4xlarge", 1, start_after=1900, seconds=2400, billable_seconds=840, spot=True),
        },
    )
    rates = [
        Rate(region, instance, usage, price)
        for region, scale in (("us-east-1", 1.0), ("eu-west-1", 1.1))
        for instance, base in (("ml.m5.2xlarge", 0.461), ("ml.m5.4xlarge", 0.922))
        for usage, price in (
            ("Training", f"{base * scale:.10f}"),
            ("Processing", f"{base * scale:.10f}"),
            ("BatchTransform", f"{base * scale:.10f}"),
            ("Hosting", f"{base * 1.4 * scale:.10f}"),
        )
    ]
    s.prices = price_list(rates)
    return s


# ------------------------------------------------------------------------------------------- an organization
# Accounts of an invented organization: three teams, one of them in two regions, and the platform's hub.
TEAM_CHURN, TEAM_FRAUD, TEAM_PRICING = "111122223333", "444455556666", "777788889999"
PLATFORM = "210987654321"


def at(job: Job, account: str, region: str = "us-east-1") -> Job:
    job.account, job.region = account, region
    return job


ORGANIZATION_RATES = [
    Rate(region, instance, usage, f"{price * scale:.10f}")
    for region, scale in (("us-east-1", 1.0), ("eu-west-1", 1.1))
    for instance, price in (("ml.m5.2xlarge", 0.461), ("ml.m5.4xlarge", 0.922))
    for usage in ("Training", "Processing", "BatchTransform")
]


def organization() -> ScenarioPlan:
    """An organization's AutoML in one place: jobs in three accounts and two regions, reported by a spoke in
    each (account, region) and recorded by one hub in the platform's account. The same name runs in two
    accounts (two unrelated jobs); a job fails, one completes with partial failures, one is stopped. Each
    job that trained has child jobs, costed by its spoke at its region's prices; the hub's records carry
    the figures its spokes send."""
    clock = Clock("2026-11-02T08:00:00+00:00", ONE_MINUTE)
    s = ScenarioPlan("organization", clock, deployed_at=clock.start)
    s.hub = HubAt(PLATFORM, "us-east-1")
    job = at(credit_job("churn-2026-11-01", 90, objective_value=0.8412), TEAM_CHURN)
    s.add_features(job, CHURN_FEATURES[:6], expected_value=0.27)
    job.children = typical_children(job, 24)
    same = at(
        credit_job("churn-2026-11-01", 150, objective_value=0.7935, other_candidates=2, failed_candidates=1), TEAM_FRAUD
    )
    same.partial_failures = [f"Candidate '{same.candidate_name(2)}' failed: {CANDIDATE_FAILURES[1]}"]
    s.add_features(same, CHURN_FEATURES[:6], expected_value=0.31)
    same.children = typical_children(same, 18)
    reason = "ClientError: The target attribute 'is_fraud' was not found in the header of the training data."
    s.add(at(failed_job("fraud-2026-11-02", 210, reason), TEAM_FRAUD, "eu-west-1"), explainability=not_applicable())
    job = Job("prices-2026-11-02", "regression", STOPPED_AFTER_BEST, "price_eur", "listings", offset=270)
    job.objective_value = 38.42
    s.add(at(job, TEAM_PRICING, "eu-west-1"), explainability=missing("empty"))
    job.children = typical_children(job, 12)
    job = v2_ensemble("demand-2026-11-02", "regression", "units_next_week", "store-sales", 330, 17.6)
    s.add_features(at(job, TEAM_PRICING, "eu-west-1"), ENERGY_FEATURES[:5], expected_value=120.5)
    job.children = typical_children(job, 30)
    s.prices = price_list(ORGANIZATION_RATES)
    return s


def silent_spoke() -> ScenarioPlan:
    """Two spokes; one goes silent (its route to the hub delivers nothing from tick 90 on, as if its role
    were deleted) after its job ended: the hub alerts exactly once, and never about the other spoke."""
    clock = Clock("2026-11-09T08:00:00+00:00", ONE_MINUTE)
    s = ScenarioPlan("silent_spoke", clock, deployed_at=clock.start)
    s.hub = HubAt(PLATFORM, "us-east-1", silent=[SilentFrom(TEAM_FRAUD, "eu-west-1", 90)])
    s.add(at(credit_job("churn-2026-11-09", 90), TEAM_CHURN), explainability=missing("empty"))
    s.add(at(credit_job("fraud-2026-11-09", 150), TEAM_FRAUD, "eu-west-1"), explainability=missing("empty"))
    return s


CATALOG: dict[str, Callable[[], ScenarioPlan]] = {
    "binary": e2e_binary,
    "regression_nested": e2e_regression_nested,
    "multiclass": e2e_multiclass,
    "v2_tabular": e2e_v2_tabular,
    "v2_timeseries": e2e_v2_timeseries,
    "failed": e2e_failed,
    "stopped": e2e_stopped,
    "explainability_error_partial": e2e_explainability_error_partial,
    "corrupt": e2e_corrupt,
    "many_features": e2e_many_features,
    "duplicates_shuffled": e2e_duplicates_shuffled,
    "faults": e2e_faults,
    "first_contact": first_contact,
    "crashes": crashes,
    "families": families,
    "hostile_text": e2e_hostile_text,
    "stuck_digest": stuck_digest,
    "cost": e2e_cost,
    "organization": organization,
    "silent_spoke": silent_spoke,
}
COMPACT = {"many_features"}  # written without indentation: 3,000 features
