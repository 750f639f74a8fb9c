"""The field's vocabulary for search: abbreviations and their long forms, and plural or
spelling variants the stemmers do not join (PostgreSQL's English stemmer keeps "LLMs"
apart from "LLM"). Curators edit the list in the admin; a pair they deleted is not restored
(this runs once), and pairs already present are left alone."""

from django.db import migrations
from django.utils import timezone

PAIRS = [
    ("LLM", "LLMs"),
    ("LLM", "large language model"),
    ("LLMs", "large language models"),
    ("LM", "language model"),
    ("PLM", "pre-trained language model"),
    ("pre-trained", "pretrained"),
    ("fine-tuning", "finetuning"),
    ("fine-tuned", "finetuned"),
    ("RAG", "retrieval-augmented generation"),
    ("RAG", "retrieval augmented generation"),
    ("RLHF", "reinforcement learning from human feedback"),
    ("RLAIF", "reinforcement learning from AI feedback"),
    ("RL", "reinforcement learning"),
    ("PEFT", "parameter-efficient fine-tuning"),
    ("LoRA", "low-rank adaptation"),
    ("QLoRA", "quantized low-rank adaptation"),
    ("MoE", "mixture of experts"),
    ("MoE", "mixture-of-experts"),
    ("SFT", "supervised fine-tuning"),
    ("DPO", "direct preference optimization"),
    ("PPO", "proximal policy optimization"),
    ("CoT", "chain of thought"),
    ("CoT", "chain-of-thought"),
    ("ICL", "in-context learning"),
    ("NLP", "natural language processing"),
    ("NL", "natural language"),
    ("SE", "software engineering"),
    ("SE4LLM", "software engineering for large language models"),
    ("LLM4SE", "large language models for software engineering"),
    ("AI", "artificial intelligence"),
    ("ML", "machine learning"),
    ("DL", "deep learning"),
    ("NMT", "neural machine translation"),
    ("APR", "automated program repair"),
    ("APR", "automatic program repair"),
    ("SAST", "static application security testing"),
    ("CI", "continuous integration"),
    ("CI/CD", "continuous integration and delivery"),
    ("MLOps", "machine learning operations"),
    ("LLMOps", "large language model operations"),
    ("SBOM", "software bill of materials"),
    ("AIBOM", "AI bill of materials"),
    ("MCP", "model context protocol"),
    ("KV cache", "key-value cache"),
    ("OOD", "out-of-distribution"),
    ("PII", "personally identifiable information"),
    ("VLM", "vision-language model"),
    ("MLLM", "multimodal large language model"),
    ("LLM agent", "LLM-based agent"),
    ("code LLM", "code large language model"),
    ("hallucination", "confabulation"),
    ("jailbreak", "jailbreaking"),
    ("prompt injection", "prompt-injection attack"),
    ("unlearning", "machine unlearning"),
    ("knowledge editing", "model editing"),
    ("GPT", "generative pre-trained transformer"),
    ("NL2SQL", "text-to-SQL"),
    ("unit test generation", "unit test synthesis"),
]


def seed(apps, schema_editor):
    synonym = apps.get_model("papers", "Synonym")
    historical = apps.get_model("papers", "HistoricalSynonym")
    existing = set(synonym.objects.values_list("term", "equivalent"))
    created = synonym.objects.bulk_create(
        [synonym(term=t, equivalent=e) for t, e in PAIRS if (t, e) not in existing]
    )
    now = timezone.now()
    # Their history starts here, as if a curator had added them (no user: the seed did).
    historical.objects.bulk_create(
        historical(
            id=row.pk,
            term=row.term,
            equivalent=row.equivalent,
            note=row.note,
            created_at=row.created_at,
            updated_at=row.updated_at,
            history_date=now,
            history_type="+",
            history_change_reason="seeded vocabulary",
        )
        for row in synonym.objects.filter(pk__in=[row.pk for row in created])
    )


class Migration(migrations.Migration):
    dependencies = [("papers", "0007_synonym")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
