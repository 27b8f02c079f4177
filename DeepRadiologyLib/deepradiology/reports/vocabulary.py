"""What a chest X-ray report calls each ChestX-ray14 finding: synonyms and related terms.

Written for DeepRadiology from radiology usage (not copied from any labeler). Each entry is a regular
expression over lower-case report text, matched on word boundaries. The talk's stage 1 maps such
mentions to clinical concepts; here each pattern maps to one of the 14 findings, to ``OTHER`` (an
abnormality outside the 14, which makes a study not normal), or to ``IGNORE`` (a phrase that contains a
finding word but is not that finding, e.g. "subcutaneous emphysema", "mass effect").

Patterns are tried longest-first at each position, so a more specific phrase beats a word inside it.
"""

from __future__ import annotations

__all__ = ["FINDINGS", "TALK_FINDINGS", "NORMAL", "LABEL_COLUMNS", "OTHER", "IGNORE", "VOCABULARY",
           "NORMAL_STATEMENTS", "NORMAL_ORGAN_STATEMENTS", "PLEURAL_EFFUSION", "PERICARDIAL_EFFUSION"]

#: The 14 findings of ChestX-ray14, in its own spelling and column order.
FINDINGS = ("Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
            "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening",
            "Hernia")
#: The 8 findings of ChestX-ray8 (the talk's Table 2).
TALK_FINDINGS = FINDINGS[:8]
#: The label of a study with no abnormality.
NORMAL = "normal"
#: Output columns after ``filename`` (the layout of the NegBio OpenI gold standard).
LABEL_COLUMNS = FINDINGS + (NORMAL,)
#: Pseudo-findings: an abnormality outside the 14, and a phrase that is no finding at all.
OTHER = "_other"
IGNORE = "_ignore"

_HEART = r"(?:heart|cardiac (?:silhouette|shadow|size|contours?|border|diameter)|heart size|cardiopericardial silhouette|cardiac)"
_BIG = r"(?:enlarged|enlargement|large|increased|globular|borderline|borderline enlarged|abnormally large)"
# "Upper limits of normal" / "top normal" size is not cardiomegaly, but it is not a plain normal heart.
_BORDERLINE = r"(?:(?:near |at |on )?(?:the )?(?:top|upper limits?|upper range|high)(?: of)?(?: normal)?(?: limits)?)"

#: Pleural effusion: CheXpert's "Pleural Effusion" is this alone.
PLEURAL_EFFUSION = (
    r"effusions?", r"pleural fluid", r"fluid (?:in|within) the (?:\w+ )?(?:pleural space|fissure|fissures)",
    r"hydrothorax", r"hemothorax", r"hydropneumothorax",
)
#: ChestX-ray14's "Effusion" is wider than pleural fluid: its label definition (Wang et al. 2017,
#: supplement Table 5, the UMLS concepts of each label) lists pericardial effusion (C0031039) under
#: Effusion beside pleural effusion (C0032227). CheXpert's "Pleural Effusion" leaves it out.
PERICARDIAL_EFFUSION = (r"pericardial effusions?",)

VOCABULARY: dict[str, tuple[str, ...]] = {
    "Atelectasis": (
        r"atelectas[ie]s", r"atelectatic", r"atelectatic changes?", r"subsegmental collapse",
        r"(?:lobar|segmental|lobe|lung) collapse", r"collapse of (?:a |the )?(?:\w+ ){0,2}(?:portion|part|segment) of (?:the )?(?:left |right )?(?:lower |upper |middle )?(?:lobe|lung)", r"collapsed? (?:of )?(?:the )?(?:left |right )?(?:lower |upper |middle )?(?:lobe|lung)",
        r"plate[- ]?like (?:opacit(?:y|ies)|densit(?:y|ies))",
        r"discoid (?:opacit(?:y|ies)|densit(?:y|ies))",
    ),
    "Cardiomegaly": (
        r"cardiomegaly", r"cardiac enlargement", r"cardiomegalic",
        rf"{_BIG} (?:\w+ ){{0,2}}{_HEART}",
        rf"{_HEART} (?:(?!normal)\w+ ){{0,6}}?{_BIG}", r"increase in (?:the )?(?:heart|cardiac) size",
        r"enlargement of the (?:cardiac|heart)(?: silhouette| shadow| size)?",
        # "Heart size is upper limits of normal or mildly enlarged": normal size and cardiomegaly are
        # the two candidates (a differential; the "or" inside the phrase makes it uncertain).
        rf"{_HEART} (?:\w+ ){{0,4}}?{_BORDERLINE} (?:or|versus|vs) (?:\w+ )?{_BIG}",
    ),
    "Effusion": PLEURAL_EFFUSION + PERICARDIAL_EFFUSION,
    "Infiltration": (r"infiltrates?", r"infiltration", r"infiltrative", r"infiltrat(?:ed|ing)"),
    "Mass": (r"mass(?:es)?", r"tumou?rs?", r"neoplasms?", r"carcinomas?", r"lung cancer", r"bronchogenic"),
    "Nodule": (r"nodules?", r"nodular(?:ity)?", r"(?:fibro|reticulo)nodular",
               r"micronodul(?:e|es|ar)", r"coin lesions?"),
    "Pneumonia": (r"pneumonias?", r"bronchopneumonia", r"pneumonic", r"pneumonitis",
                  r"(?:lung|pulmonary|lobar) infections?", r"infectious (?:process|infiltrate)"),
    "Pneumothorax": (r"pneumothora(?:x|ces|xes)", r"pneumothoraces"),
    "Consolidation": (r"consolidat(?:ion|ions|ive|ed)", r"airspace consolidation"),
    "Edema": (r"edema", r"oedema", r"edematous", r"kerley b?(?: lines)?"),
    "Emphysema": (r"emphysema(?:tous)?",),
    "Fibrosis": (r"fibros[ie]s", r"fibrotic", r"fibrothorax", r"honeycomb(?:ing)?", r"usual interstitial pneumonia"),
    # Pleural scarring is not in it: NegBio's ChestX-ray14 phrase definitions give Pleural Thickening
    # the thickening itself and put pleural (-parenchymal) scar under CheXpert's Pleural Other; here it
    # is an abnormality outside the 14 ("scarring" is OTHER) and still Pleural Other for CheXpert.
    "Pleural_Thickening": (r"pleural (?:\w+ )?thickening", r"pleural[- ]parenchymal thickening",
                           r"thickening of the (?:\w+ )?pleura", r"pleural (?:plaques?|calcifications?)",
                           r"(?:apical|pleural) capping", r"pleural[- ]based thickening",
                           r"thickened pleura", r"fissur(?:al|e) thickening", r"thickening of the (?:\w+ )?fissures?",
                           r"thickened (?:\w+ )?fissures?"),
    "Hernia": (r"hernias?", r"herniation", r"herniated"),
    OTHER: (
        r"granulomas?", r"granulomatous", r"calcifi(?:ed|cation|cations)", r"scar(?:s|ring|red)?",
        r"opacit(?:y|ies)", r"densit(?:y|ies)", r"airspace (?:disease|opacit(?:y|ies))",
        r"degenerative", r"degeneration", r"senescent (?:changes?|findings?)", r"spondylosis", r"osteophytes?", r"\w*scoliosis", r"spurring", r"spurs?",
        r"(?:low|decreased|reduced|diminished) (?:lung )?volumes?", r"(?:lung )?volumes? (?:are |is )?(?:\w+ )?(?:low|decreased|reduced|diminished)",
        r"hypoinflat(?:ed|ion)", r"hypoventilat(?:ed|ion)", r"poor inspiration", r"shallow inspiration",
        r"crowding", r"crowded", r"rotat(?:ed|ion)", r"(?:technically )?limited (?:exam|study|examination|evaluation)",
        r"technically limited", r"artifacts?", r"(?:catheter |line |tube |port |xxxx )?tip", r"shunt", r"stimulator",
        r"curvature", r"arthriti(?:c|s)", r"endplate", r"sclero(?:tic|sis)", r"osteodystrophy",
        r"foreign bod(?:y|ies)", r"piercings?", r"jewelry", r"nipple (?:ring|piercing)s?", r"generator",
        r"post-?surgical", r"lobulated", r"(?:prominent|enlarged|full) hil(?:a|um|ar)", r"oligemia",
        r"under-?penetrat(?:ed|ion)", r"air[- ]fluid levels?", r"air collection", r"postop", r"post-op", r"(?:vascular|pulmonary) congestion", r"congestion",
        r"congestive (?:heart )?failure", r"chf", r"fluid overload", r"nodular (?:opacit(?:y|ies)|densit(?:y|ies))",
        r"malignanc(?:y|ies)", r"cystic fibrosis", r"bullae", r"bullous", r"blebs?", r"mass[- ]?like", r"volume loss", r"loss of volume", r"interstitial lung disease", r"kyphosis", r"kyphotic",
        r"osteopenia", r"osteopenic", r"demineralization", r"fractures?", r"fractured", r"deformit(?:y|ies)",
        r"tortuous", r"tortuosity", r"ectatic", r"ectasia", r"aneurysm(?:al)?", r"atheroscleros[ie]s",
        r"atherosclerotic", r"unfolding", r"unfolded", r"dilated", r"dilatation",
        r"sternotomy", r"cabg", r"surgical clips?", r"clips", r"sutures?", r"(?:post|status post)[- ]surgical",
        r"postoperative", r"post-operative", r"prosthe(?:sis|tic)", r"pacemaker", r"pacer", r"aicd",
        r"defibrillator", r"catheters?", r"port-?a-?cath", r"port", r"picc", r"tubes?", r"stents?",
        r"hardware", r"wires?", r"leads?", r"valve replacement", r"fusion", r"rods?", r"screws?",
        r"elevat(?:ed|ion) (?:of )?(?:the )?(?:left |right )?hemidiaphragm", r"eventration",
        r"blunt(?:ed|ing)", r"bronchiectasis", r"bronchiti(?:s|c)", r"peribronchial",
        # Bronchial-wall (airway) thickening is no pleural disease: abnormal, but not Pleural_Thickening.
        r"(?:peri)?bronchial (?:wall )?(?:thickening|cuffing)", r"bronchial walls? (?:are |is )?thickened", r"adenopathy", r"lymphadenopathy", r"hilar (?:prominence|enlargement|fullness)",
        r"interstitial (?:markings|opacit(?:y|ies)|prominence|disease|changes?|pattern)",
        r"(?:increased|prominent|coarse(?:ned)?) (?:\w+ )?(?:lung |interstitial |bronchovascular |pulmonary )?markings",
        r"lesions?", r"metasta(?:sis|ses|tic)", r"cyst(?:s|ic)?", r"cavit(?:y|ies|ation|ary)",
        r"abnormalit(?:y|ies)", r"abnormal", r"changes? of (?:the )?(?:spine|thoracic spine)",
        r"copd", r"chronic obstructive (?:pulmonary|lung|airway) disease",
        r"hyperinflat(?:ed|ion)", r"hyper-?expan(?:ded|sion)", r"hyperaerat(?:ed|ion)",
        r"overinflat(?:ed|ion)", r"hyperlucen(?:t|cy)", r"free air", r"pneumoperitoneum", r"subcutaneous emphysema", r"subcutaneous air",
        r"soft tissue mass(?:es)?", r"breast mass(?:es)?", r"joint effusions?",
        r"chronic (?:lung |pulmonary )?(?:changes?|disease)", r"cholecystectomy", r"mastectomy",
        r"thoracotomy", r"lobectomy", r"pneumonectomy", r"resection", r"shift", r"widen(?:ed|ing)",
        r"vascular (?:prominence|engorgement|redistribution)", r"cephalization",
        r"hyperdense", r"lucenc(?:y|ies)", r"lucent", r"thickening", r"thickened",
        r"aortic (?:knob |arch )?calcification",
 r"enlarged", r"enlargement",
    ),
    IGNORE: (
        r"mass effect",
        # A heart at the upper limit of normal size is reported as normal, not as cardiomegaly.
        rf"{_HEART} (?:\w+ ){{0,4}}?{_BORDERLINE}", rf"{_BORDERLINE} (?:\w+ ){{0,2}}{_HEART}", r"normal (?:pulmonary |lung )?vascularity",
        r"compensatory hyperinflation",
        # "Nodular" describing the shape of a contour or border is no nodule ("a nodular soft tissue
        # contour" of the diaphragm).
        r"nodular (?:\w+ ){0,2}(?:contours?|margins?|borders?|outlines?)",
    ),
}

#: Phrases that state a finding's organ is normal: the finding is explicitly negated (not "not mentioned").
NORMAL_ORGAN_STATEMENTS: dict[str, tuple[str, ...]] = {
    "Cardiomegaly": (
        rf"{_HEART} (?:size )?(?:is |was |appears |remains )?(?:\w+ )?(?:normal|within normal limits|unremarkable)(?: in size)?",
        rf"normal (?:\w+ )?(?:{_HEART}|heart size|cardiomediastinal silhouette)",
    ),
}

#: Phrases that call the whole study normal. ``normal`` is decided by the absence of any asserted or
#: uncertain abnormality; a sentence with one of these phrases is shown as the one that decided it.
NORMAL_STATEMENTS = (
    r"no acute (?:cardiopulmonary|pulmonary|cardiac|intrathoracic|chest|radiographic|disease|abnormalit)",
    r"no active (?:disease|cardiopulmonary)", r"normal chest", r"negative chest", r"lungs are clear",
    r"no (?:radiographic )?evidence of (?:acute |active )?(?:disease|cardiopulmonary)",
)
