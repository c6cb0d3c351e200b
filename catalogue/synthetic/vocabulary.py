"""Research vocabulary and sentence templates for titles, abstracts, keywords and names."""

from __future__ import annotations

import random

from catalogue.synthetic.sampling import Zipf, weighted_choices

# Research vocabulary. Rank order matters: earlier words are drawn more often. The general
# words come first in frequency order; the discipline words follow in a fixed shuffle.

_GENERAL_NOUNS = """
analysis effect model data outcome risk treatment patients association performance
development system structure method framework evidence response quality health change
process approach function growth management design impact exposure assessment activity
control information practice behaviour population learning policy level temperature
efficiency intervention diagnosis survival network experience variation mortality education
disease surface stress detection prediction theory measurement stability energy interaction
expression resistance strategy evaluation care community knowledge identity distribution
capacity regulation mechanism environment training symptoms adolescents women children
students workers adults infection therapy cancer depression anxiety inflammation pressure
concentration density software simulation algorithm signal imaging communication language
culture governance employment income trade innovation sustainability climate water soil
emissions adoption adherence recovery complications incidence prevalence decision
perception attitudes satisfaction wellbeing resilience inequality migration cohort
trial sample protocol estimation uncertainty variability accuracy sensitivity specificity
validation reliability feasibility cost utilisation access equity safety efficacy dose
"""

_DISCIPLINE_NOUNS = """
hypertension diabetes obesity stroke asthma sepsis dementia schizophrenia epilepsy arthritis
osteoporosis tuberculosis malaria influenza pneumonia hepatitis cirrhosis melanoma leukaemia
lymphoma carcinoma glioma neuropathy nephropathy retinopathy cardiomyopathy arrhythmia
thrombosis embolism haemorrhage anaemia fracture surgery anaesthesia transplantation dialysis
chemotherapy radiotherapy immunotherapy vaccination screening biopsy prognosis morbidity
readmission hospitalisation frailty multimorbidity polypharmacy delirium pain fatigue
insomnia migraine psoriasis eczema allergy pregnancy preeclampsia prematurity breastfeeding
menopause fertility contraception cholesterol insulin glucose biomarker troponin haemoglobin
platelet antibody antigen cytokine interleukin microbiome pathogen virus bacterium fungus
parasite vaccine antibiotic statin aspirin metformin opioid analgesic placebo toxicity
pharmacokinetics endoscopy colonoscopy mammography ultrasound tomography angiography stent
catheter prosthesis implant wound ulcer burn trauma concussion rehabilitation physiotherapy
nutrition malnutrition vitamin supplement diet sodium potassium calcium iron zinc fibre
smoking alcohol cannabis gambling suicide self-harm bullying neglect caregiving bereavement
gene protein enzyme receptor pathway cell tissue mutation genome transcription methylation
phosphorylation apoptosis autophagy proliferation differentiation metabolism mitochondria
ribosome chromatin histone chromosome telomere embryo neuron synapse axon dendrite
hippocampus cortex amygdala cerebellum thalamus plasticity neurogenesis organoid zebrafish
mouse drosophila arabidopsis yeast nematode phenotype genotype allele heritability evolution
speciation phylogeny biodiversity ecosystem habitat predator pollinator symbiosis
photosynthesis chlorophyll nitrogen phosphorus carbon oxygen hydrogen sulfur silicon lithium
catalyst catalysis polymer nanoparticle nanotube graphene perovskite electrode electrolyte
battery membrane adsorption oxidation corrosion crystal lattice alloy ceramic composite
coating hydrogel solvent ligand spectroscopy chromatography diffraction microscopy
luminescence fluorescence photocatalysis semiconductor conductivity viscosity porosity
morphology hardness ductility elasticity friction lubrication combustion pyrolysis
gasification biomass biofuel ethanol methane ammonia hydrocarbon quantum photon electron
spin magnetism superconductivity entanglement laser plasma turbulence wave oscillation
resonance scattering diffusion convection radiation gravity galaxy star planet exoplanet
neutrino cosmology supernova pulsar accretion magnetosphere ionosphere spectrum wavelength
polarisation interferometry holography metamaterial topology symmetry manifold
eigenvalue polynomial integral derivative matrix tensor graph theorem proof
conjecture approximation convergence discretisation interpolation
classifier encoder transformer embedding clustering regression optimisation heuristic
compiler database query cache protocol encryption authentication privacy blockchain robot
robotics segmentation recognition reinforcement inference kernel parallelism scheduling
latency throughput bandwidth cloud sensor firmware middleware ontology semantics
visualisation interface usability accessibility crowdsourcing recommender chatbot
misinformation cybersecurity malware phishing turbine engine vehicle bridge concrete steel
beam vibration welding machining actuator controller inverter converter transmission
antenna circuit amplifier transistor microcontroller drone propulsion aerodynamics
hydraulics pipeline tunnel pavement railway traffic logistics manufacturing automation
rainfall drought flood wildfire erosion sediment groundwater aquifer glacier permafrost
aerosol ozone precipitation monsoon watershed wetland forest deforestation agriculture crop
yield irrigation fertiliser pesticide livestock fishery aquaculture salinity runoff
landslide earthquake volcano tsunami seismicity tectonics mineralogy geochemistry isotope
fossil stratigraphy reef mangrove seagrass plankton algae estuary coastline upwelling
poverty unemployment wage labour household gender ethnicity democracy election voting
parliament legislation institution bureaucracy citizenship nationalism populism violence
crime policing incarceration welfare pension taxation debt inflation investment
entrepreneurship firm market competition productivity globalisation tourism media
journalism literacy curriculum pedagogy teacher school university leadership
accountability transparency corruption procurement outsourcing franchise merger
shareholder dividend auditing accounting banking insurance microfinance remittance
housing gentrification segregation mobility commuting urbanisation infrastructure
cognition memory attention emotion motivation personality self-esteem loneliness stigma
addiction craving impulsivity rumination mindfulness empathy aggression attachment
parenting temperament intelligence creativity reasoning metacognition bilingualism
reading numeracy handwriting dyslexia autism neurodiversity burnout absenteeism
narrative poetry novel manuscript archive museum heritage ritual religion theology
philosophy ethics aesthetics rhetoric translation modernism colonialism empire slavery
diaspora pilgrimage iconography liturgy epigraphy papyrus folklore dialect syntax
phonology pragmatics lexicon corpus orthography prosody
archaeology excavation pottery burial settlement hunter-gatherer domestication
dairy poultry cattle swine sheep goat horse canine feline veterinarian zoonosis
dentition caries periodontitis orthodontics enamel implantology midwifery nursing
hospice palliation triage ambulance telemedicine telehealth informatics interoperability
"""

_GENERAL_ADJECTIVES = """
clinical social significant new high low novel early long-term potential specific
different large human global local public mental natural environmental economic structural
functional chronic acute severe older young primary secondary national regional urban
rural digital sustainable effective important common rare systematic comparative
quantitative qualitative spatial temporal dynamic stable optimal robust adaptive integrated
multiple individual collective cultural political molecular genetic cellular biological
chemical physical thermal mechanical electrical optical magnetic numerical statistical
experimental theoretical computational empirical
"""

_DISCIPLINE_ADJECTIVES = """
cardiovascular metabolic inflammatory autoimmune infectious respiratory renal hepatic
neurological psychiatric cognitive behavioural emotional developmental paediatric
geriatric perinatal maternal neonatal surgical postoperative intensive ambulatory
pharmacological antimicrobial antiviral oncological haematological dermatological
ophthalmic orthopaedic dental veterinary epidemiological demographic socioeconomic
educational organisational institutional legal ethical historical philosophical
linguistic literary religious artistic musical visual textual archaeological
ecological evolutionary marine terrestrial freshwater agricultural coastal arctic
tropical atmospheric oceanic geological seismic volcanic hydrological microbial
bacterial viral fungal immune transcriptional epigenetic proteomic genomic synthetic
organic inorganic catalytic electrochemical photochemical porous crystalline amorphous
nanostructured conductive ferroelectric piezoelectric superconducting topological
nonlinear stochastic probabilistic bayesian discrete continuous algebraic geometric
asymptotic distributed parallel scalable secure autonomous wireless embedded neural
generative supervised unsupervised interpretable explainable multimodal semantic
relational hierarchical modular hybrid circular renewable solar hydraulic
aerodynamic automotive aerospace industrial financial monetary
fiscal corporate entrepreneurial migrant indigenous transnational postcolonial
feminist liberal democratic authoritarian municipal judicial legislative
"""

TITLE_DESIGNS = (
    "systematic review", "meta-analysis", "randomised controlled trial", "cohort study",
    "cross-sectional study", "case study", "longitudinal analysis", "qualitative study",
    "simulation study", "comparative study", "pilot study", "mixed-methods study",
    "scoping review", "case-control study", "controlled experiment", "field study",
)  # fmt: skip

STUDY_DESIGNS = (
    "prospective", "retrospective", "cross-sectional", "longitudinal", "mixed-methods",
    "quasi-experimental", "factorial", "stepped-wedge", "case-control", "within-subject",
)  # fmt: skip
# Abstract sentences by section: "{}" is a noun phrase; named fields are numbers.
_BACKGROUND = (
    "{} is a major determinant of {} worldwide.",
    "{} has been linked to {}, but its role in {} remains unclear.",
    "Despite growing interest in {}, little is known about {} in {}.",
    "Recent advances in {} have raised new questions about {} and {}.",
    "{} and {} are increasingly recognised as key drivers of {}.",
    "Understanding {} is essential for {} and {}.",
    "Previous studies of {} have reported inconsistent findings on {}.",
    "The relationship between {} and {} has received considerable attention in {}.",
)
_AIM = (
    "This study examined the association between {} and {} in {}.",
    "We investigated whether {} modifies the effect of {} on {}.",
    "Here we present {} for {} based on {}.",
    "The aim of this work was to assess {} and {} among {}.",
    "In this paper, we propose {} that combines {} with {}.",
    "We sought to characterise {} and its relation to {}.",
)
_METHODS = (
    "We analysed data from {n:,} participants enrolled in {} between {y1} and {y2}.",
    "A {design} design was used to compare {} with {}.",
    "{} was measured using {} and {}.",
    "We conducted {} of {k} studies reporting {}.",
    "Samples were collected from {k} sites and analysed by {}.",
    "{} was estimated with {} adjusted for {} and {}.",
    "The model was trained on {n:,} records and validated against {}.",
    "Participants completed {} at baseline and after {k} months.",
)
_RESULTS = (
    "{} was significantly associated with {} ({stat}).",
    "Compared with {}, {} reduced {} by {pct}% ({p}).",
    "{} explained {pct}% of the variance in {}.",
    "We identified {k} distinct patterns of {} linked to {}.",
    "The proposed {} outperformed {} on {} ({pct}% accuracy).",
    "No significant difference in {} was observed between {} and {} ({p}).",
    "{} increased with {} but not with {}.",
    "An increase in {} predicted a decline in {} after adjustment for {} ({stat}).",
)
_CONCLUSIONS = (
    "These findings suggest that {} may contribute to {}.",
    "Our results highlight the importance of {} for {} and {}.",
    "{} should be considered in future research on {}.",
    "This work provides a basis for {} and opens new avenues for {}.",
    "Further studies are needed to clarify the role of {} in {}.",
)
TITLES = (
    "{} and {} in {}: a {design}",
    "Effects of {} on {} among {}",
    "The role of {} in {} and {}",
    "{} as a predictor of {} in {}",
    "Towards {} for {}: evidence from {}",
    "Association between {} and {} in {}: a {design}",
    "A new approach to {} in {} using {}",
    "{} under {}: implications for {}",
    "Modelling {} with {} and {}",
    "Does {} improve {}? Evidence from {}",
    "Long-term {} of {} in {}: a {design}",
    "{} and {}: a {design} of {}",
    "{} and {} as determinants of {} in {}: a {design}",
    "Comparing {} and {} for {} in {}",
    "{} of {} and {} among {}: findings from a {design}",
)
SECTIONS = (
    ("Background", _BACKGROUND, 3),
    ("Objective", _AIM, 1),
    ("Methods", _METHODS, 3),
    ("Results", _RESULTS, 5),
    ("Conclusions", _CONCLUSIONS, 2),
)
# Noun phrase shapes as (adjectives, nouns) with their weights.
PHRASE_SHAPES, PHRASE_CUM = weighted_choices(
    [((1, 1), 45), ((0, 2), 22), ((0, 1), 23), ((1, 2), 10)]
)


def split_words(text: str) -> list[str]:
    """Return the whitespace-separated words of `text` (long word lists stay readable)."""
    return text.split()


def _ordered_words(general: str, discipline: str, purpose: str) -> list[str]:
    head = list(dict.fromkeys(split_words(general)))
    tail = [word for word in dict.fromkeys(split_words(discipline)) if word not in head]
    random.Random(f"catalogue-synthetic:vocabulary:{purpose}").shuffle(tail)
    return head + tail


PLURAL_NOUNS = frozenset(
    split_words(
        "patients symptoms adolescents women children students workers adults emissions "
        "complications attitudes"
    )
)
NOUNS = _ordered_words(_GENERAL_NOUNS, _DISCIPLINE_NOUNS, "nouns")
ADJECTIVES = _ordered_words(_GENERAL_ADJECTIVES, _DISCIPLINE_ADJECTIVES, "adjectives")
# Steeper than Zipf's 1.0 so a ~1,000-word vocabulary still has a tail at ~0.1% of articles;
# the offset keeps the head from being dominated by a single word.
NOUN_ZIPF = Zipf(len(NOUNS), exponent=2.6, offset=30, values=NOUNS)
ADJECTIVE_ZIPF = Zipf(len(ADJECTIVES), exponent=2.0, offset=8, values=ADJECTIVES)
KEYWORD_NOUNS = Zipf(len(NOUNS), exponent=1.5, offset=10, values=NOUNS)
KEYWORD_ADJECTIVES = Zipf(len(ADJECTIVES), exponent=1.5, offset=10, values=ADJECTIVES)

# Used in journal titles ("European Journal of ...") and group authors ("Nordic ... Consortium").
REGIONS = (
    "European", "American", "Asian", "British", "Chinese", "Japanese", "Canadian", "Nordic",
    "Australian", "African", "Latin American", "Scandinavian", "Indian", "Korean", "Iberian",
)  # fmt: skip
