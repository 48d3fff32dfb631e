"""Benchmark: the localizer vs the seed's plain 3CosAdd, and its latency vs gensim ``most_similar``.

For each of our western entities (people, places, organisations, typed by hand) both methods
propose one replacement for USA -> India; a replacement counts as right when it is a word of the
target country of the same type, judged by our own lists of Indian people's names, places and
organisations below (lowercase; generic English words left out on purpose, so "railways" or
"congress" do not count). The lists are the judge only: the localizer never sees them.

- baseline ("seed 3CosAdd"): ``most_similar(positive=["india", *words], negative=["usa"], topn=1)``
  on the full vocabulary, as the seed did (in the vectors' casing);
- ours: ``Localizer(vectors).analogue(text, label)`` with its defaults;
- ablation: ours without the type check (``prototypes=None``).

Latency: per entity, warm (second pass; the localizer's per-string memo cleared before every call),
ours vs ``most_similar(..., topn=10)`` in the same run.

Run: ``python bench/localizer.py`` (offline GloVe 6B 50d; NERLIB_DATA_DIR for the type prototypes).
``--vectors SOURCE`` for other vectors, ``--sweep`` to print the anchor comparison the defaults
were chosen with, ``--show`` for every entity's replacements.
"""

from __future__ import annotations

import argparse
import statistics
import time

from nerlib.localizer import Localizer
from nerlib.vectors import load_vectors

# Western entities to localize: (text, type)
ENTITIES = [
    # people: first names, surnames, full names
    ("Mitchell", "PER"), ("Sarah", "PER"), ("John", "PER"), ("Emily", "PER"), ("Michael", "PER"),
    ("Jessica", "PER"), ("David", "PER"), ("Jennifer", "PER"), ("Robert", "PER"), ("Ashley", "PER"),
    ("Christopher", "PER"), ("Amanda", "PER"), ("Matthew", "PER"), ("Elizabeth", "PER"),
    ("Brian", "PER"), ("Megan", "PER"), ("Smith", "PER"), ("Johnson", "PER"), ("Williams", "PER"),
    ("Miller", "PER"), ("Anderson", "PER"), ("Taylor", "PER"), ("John Smith", "PER"),
    ("Jennifer Wilson", "PER"),
    # places
    ("Paris", "LOC"), ("New York", "LOC"), ("Chicago", "LOC"), ("Boston", "LOC"), ("Texas", "LOC"),
    ("California", "LOC"), ("Los Angeles", "LOC"), ("San Francisco", "LOC"), ("Seattle", "LOC"),
    ("Florida", "LOC"), ("Ohio", "LOC"), ("Houston", "LOC"), ("Philadelphia", "LOC"),
    ("Atlanta", "LOC"), ("Denver", "LOC"), ("Miami", "LOC"), ("Manhattan", "LOC"),
    ("Detroit", "LOC"), ("Mississippi", "LOC"), ("London", "LOC"),
    # organisations
    ("Microsoft", "ORG"), ("Google", "ORG"), ("Walmart", "ORG"), ("Boeing", "ORG"), ("Ford", "ORG"),
    ("IBM", "ORG"), ("Intel", "ORG"), ("Harvard", "ORG"), ("Stanford", "ORG"), ("FBI", "ORG"),
    ("NASA", "ORG"), ("Citigroup", "ORG"), ("Goldman Sachs", "ORG"), ("General Motors", "ORG"),
    ("Exxon", "ORG"), ("Pepsi", "ORG"), ("Republican Party", "ORG"), ("Senate", "ORG"),
    ("New York Times", "ORG"), ("CNN", "ORG"), ("Yankees", "ORG"), ("NBA", "ORG"),
    ("Verizon", "ORG"), ("Pentagon", "ORG"),
]

# Held out: written after the defaults (anchors, weights) were chosen on ENTITIES, and never tuned on.
HELD_OUT = [
    ("Jason", "PER"), ("Rachel", "PER"), ("Kevin", "PER"), ("Laura", "PER"), ("Steven", "PER"),
    ("Nicole", "PER"), ("Thompson", "PER"), ("Davis", "PER"), ("Clark", "PER"), ("Mary Johnson", "PER"),
    ("Dallas", "LOC"), ("Portland", "LOC"), ("Arizona", "LOC"), ("Nevada", "LOC"), ("Baltimore", "LOC"),
    ("Pittsburgh", "LOC"), ("Minnesota", "LOC"), ("Orlando", "LOC"), ("Virginia", "LOC"), ("Las Vegas", "LOC"),
    ("Oracle", "ORG"), ("Dell", "ORG"), ("Cisco", "ORG"), ("Chevron", "ORG"), ("Morgan Stanley", "ORG"),
    ("Yale", "ORG"), ("Disney", "ORG"), ("NFL", "ORG"), ("Democratic Party", "ORG"), ("Supreme Court", "ORG"),
]

INDIAN_PEOPLE = """
aarav aditya ajay ajit akash akhil akshay alok amar amit amitabh amol anand anil anita anjali ankit
anupam anuradha anurag arjun arun aruna arvind ashok ashish atul bhavna chandra deepa deepak deepika
dev devi dinesh divya gaurav geeta gita gopal govind harish hema indira jaya jayant kajal kamal
kapil karan kavita kiran krishna kumar lakshmi lalit madhu mahesh manish manoj meena meera mohan
mukesh nandini naresh naveen neha nikhil nisha nitin pankaj pooja prakash pradeep pranab pratibha
preeti priya rahul raj raja rajesh rajiv rakesh ram ramesh rani ravi rekha rohit sachin sandeep
sanjay sanjeev santosh saurabh shanti shashi shekhar shilpa shyam sita sonia sunil sunita suresh
sushil swati tarun uma usha varun vijay vikas vikram vinod vishal vivek yash yogesh sanjiv rajendra
manmohan atal lal prasad narendra arundhati shobha savita sunanda nirmala mamata mayawati jayalalitha
lalu mulayam sharad pranav shahrukh salman aamir rajinikanth sourav rahul virender anil harbhajan
zaheer sreesanth yuvraj mahendra ishant amritraj
singh sharma gupta kumar patel shah mehta verma mishra pandey joshi reddy rao nair iyer iyengar
menon pillai das bose banerjee chatterjee mukherjee ghosh dutta chakraborty bhattacharya sinha
srivastava tiwari tripathi dubey chauhan rathore yadav thakur jain agarwal agrawal bansal goel
khanna kapoor malhotra chopra bhatia sethi arora gill sandhu sidhu dhillon grewal ahuja bajaj
birla tata ambani desai kulkarni deshpande patil jadhav gandhi nehru vajpayee advani modi
tendulkar dravid ganguly dhoni kumble sehwag laxman azharuddin srinath prasad karnik chidambaram
mukherjee pawar jaitley sushma swaraj krishnan subramaniam subramanian venkatesh venkat raman
ramachandran natarajan narayan narayanan murthy nilekani premji mittal naidu rajan chawla
bachchan khan dixit kapur sehgal bhatt johar roshan nadkarni saxena bhardwaj kohli dutt
chandrababu karunanidhi manmohan chavan shastri kalam radhakrishnan rajagopalachari
""".split()

INDIAN_PLACES = """
india delhi mumbai bombay kolkata calcutta chennai madras bangalore bengaluru hyderabad ahmedabad
pune poona surat jaipur lucknow kanpur nagpur indore thane bhopal visakhapatnam patna vadodara
baroda ghaziabad ludhiana agra nashik faridabad meerut rajkot varanasi benares srinagar aurangabad
dhanbad amritsar allahabad ranchi howrah coimbatore jabalpur gwalior vijayawada jodhpur madurai
raipur kota guwahati chandigarh mysore mysuru trivandrum thiruvananthapuram kochi cochin
bhubaneswar dehradun shimla goa panaji udaipur ajmer noida gurgaon gurugram mangalore
pondicherry puducherry kanyakumari darjeeling ayodhya mathura haridwar rishikesh nainital
maharashtra gujarat rajasthan punjab haryana kerala karnataka tamil nadu andhra pradesh uttar
bihar bengal orissa odisha assam kashmir jammu jharkhand chhattisgarh uttarakhand uttaranchal
himachal sikkim manipur mizoram nagaland meghalaya tripura arunachal telangana deccan konkan
malabar kutch ladakh kargil siachen ganges ganga yamuna brahmaputra narmada godavari kaveri cauvery
sutlej himalayas himalaya thar bihar mewar awadh doaba andaman nicobar lakshadweep chandni chowk
connaught colaba bandra juhu andheri dadar worli malabar secunderabad kanchipuram
tirupati vellore trichy tiruchirapalli erode hubli belgaum dharwad gulbarga bellary
nellore guntur warangal kakinada rajahmundry siliguri asansol durgapur jamshedpur bokaro cuttack
rourkela sambalpur bilaspur jhansi bareilly aligarh moradabad saharanpur gorakhpur firozabad
muzaffarpur gaya bhagalpur jalandhar patiala bathinda ambala panipat rohtak hisar karnal sonipat
bikaner alwar bhilwara jamnagar bhavnagar junagadh anand gandhinagar kolhapur sangli solapur
nanded akola amravati jalgaon ahmednagar latur dhule malegaon vasai bhiwandi kalyan ulhasnagar
kanpur lucknow unnao porbandar sabarmati
""".split()

INDIAN_ORGS = """
tata infosys wipro reliance birla mahindra bajaj icici hdfc ongc bhel ntpc gail iocl bpcl
hpcl airtel bsnl mtnl vsnl satyam hcl cognizant mphasis ranbaxy cipla dabur godrej larsen toubro
maruti ashok leyland hindalco vedanta sterlite essar jindal adani suzlon ranbaxy lupin
sbi canara syndicate idbi uti lic gic nabard sebi rbi bse nse sensex nifty isro drdo barc iit iim
iisc aiims jnu bhu amu cbi ibi raw bcci ipl rss vhp bjp inld bsp cpm dmk aiadmk tdp
trs rjd jdu jd shiv sena akali ncp tmc trinamool janata bharatiya lok sabha rajya
hindustan doordarshan ndtv zee akashvani prasar bharati pti spicejet
airways amul hul tcs tisco bajaj tvs ashok ultratech ambuja grasim
hutch tata-docomo kotak pnb
dena vijaya uco infotech patni hexaware
mastek igate kpit zensar ramco jubilant biocon glenmark pharma zydus cadila wockhardt
manipal arvind mafatlal welspun bharti bharat
tata nmdc bel bdl beml midhani
irctc concor gmr gvk lanco hcc nagarjuna ivrcl jaiprakash unitech dlf parsvnath
omaxe sobha jagran bhaskar tehelka rediff sify naukri flipkart snapdeal
paytm ola oyo zomato swiggy byju khadi ficci cii assocham nasscom
""".split()


JUDGE = {"PER": set(INDIAN_PEOPLE), "LOC": set(INDIAN_PLACES), "ORG": set(INDIAN_ORGS)}
ANCHOR_CHOICES = [("usa", "india"), ("america", "india"), ("american", "indian"), ("usa+american", "india+indian")]


def is_right(replacement: str | None, label: str) -> bool:
    """True when every word of the replacement is in the judging list of its type."""
    if not replacement:
        return False
    words = replacement.lower().replace("_", " ").split()
    return bool(words) and all(word in JUDGE[label] for word in words)


def seed_replacement(vectors, localizer: Localizer, text: str) -> str | None:
    """The seed's 3CosAdd: most_similar(positive=[India, words...], negative=[USA], topn=1)."""
    words = [key for key in (localizer.vocab.find(w) for w in text.split()) if key]
    india, usa = localizer.vocab.find("india"), localizer.vocab.find("usa")
    if not words:
        return None
    return vectors.most_similar(positive=[india, *words], negative=[usa], topn=1)[0][0]


def shares(results: dict[str, list[bool]]) -> dict[str, float]:
    table = {label: sum(oks) / len(oks) for label, oks in results.items()}
    table["all"] = sum(sum(oks) for oks in results.values()) / sum(len(oks) for oks in results.values())
    return table


def evaluate(vectors, localizer: Localizer, show: bool = False, entities=None):
    seed, ours, distinct = {}, {}, {}
    for text, label in entities or ENTITIES:
        base = seed_replacement(vectors, localizer, text)
        record = localizer.analogue(text, label)
        mine = record.replacement if record.changed else None
        seed.setdefault(label, []).append(is_right(base, label))
        ours.setdefault(label, []).append(is_right(mine, label))
        distinct.setdefault(label, set()).add((mine or "").lower())
        if show:
            mark = "ok" if is_right(mine, label) else "--"
            print(f"  {label:4s} {text:18s} seed: {str(base):15s} ours: {str(mine):15s} {mark}  {record.reason}")
    return shares(seed), shares(ours), {label: len(words) for label, words in distinct.items()}


def latency(vectors, localizer: Localizer, repeats: int = 3) -> tuple[float, float]:
    """Median per-entity seconds: (ours, gensim most_similar), both warm."""
    india, usa = localizer.vocab.find("india"), localizer.vocab.find("usa")
    ours, theirs = [], []
    for attempt in range(repeats + 1):
        for text, label in ENTITIES:
            localizer._ranked.clear()  # time the full ranking, not the memo
            start = time.perf_counter()
            localizer.analogue(text, label)
            middle = time.perf_counter()
            words = [key for key in (localizer.vocab.find(w) for w in text.split()) if key]
            vectors.most_similar(positive=[india, *words], negative=[usa], topn=10)
            end = time.perf_counter()
            if attempt:  # the first pass warms caches (norms, prototypes, memory-mapped pages)
                ours.append(middle - start)
                theirs.append(end - middle)
    return statistics.median(ours), statistics.median(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vectors", default=None, help="vectors source (default: $NERLIB_VECTORS or offline GloVe)")
    parser.add_argument("--sweep", action="store_true", help="compare analogy anchor pairs per type")
    parser.add_argument("--show", action="store_true", help="print every entity's replacements")
    args = parser.parse_args()

    start = time.perf_counter()
    vectors = load_vectors(args.vectors)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    localizer = Localizer(vectors)
    init_s = time.perf_counter() - start
    counts = {label: sum(1 for _, l in ENTITIES if l == label) for label in JUDGE}
    print(f"vectors: {len(vectors.index_to_key)} x {vectors.vector_size}, loaded in {load_s:.2f} s; "
          f"Localizer() in {init_s:.2f} s; {len(ENTITIES)} entities {counts}; anchors {localizer.anchors['PER']}")

    if args.sweep:
        print("\nanchor sweep (our method, same anchors for every type): share right per type")
        for source, target in ANCHOR_CHOICES:
            swept = Localizer(vectors, anchors={t: (source, target) for t in ("PER", "LOC", "ORG")})
            _, table, _ = evaluate(vectors, swept)
            print(f"  {source:>14s} -> {target:<14s} " + "  ".join(f"{k} {v:.0%}" for k, v in table.items()))

    seed, ours, distinct = evaluate(vectors, localizer, show=args.show)
    _, untyped, _ = evaluate(vectors, Localizer(vectors, prototypes=None))
    print("\nshare of replacements that are target-country words of the same type")
    print(f"  {'type':5s} {'seed 3CosAdd':>13s} {'ours':>6s} {'ours w/o type check':>20s} {'distinct (ours)':>16s}")
    for label in [*JUDGE, "all"]:
        print(f"  {label:5s} {seed[label]:13.0%} {ours[label]:6.0%} {untyped[label]:20.0%} {distinct.get(label, ''):>16}")

    seed, ours, distinct = evaluate(vectors, localizer, show=args.show, entities=HELD_OUT)
    print(f"\nheld-out entities ({len(HELD_OUT)}, never tuned on)")
    print(f"  {'type':5s} {'seed 3CosAdd':>13s} {'ours':>6s} {'distinct (ours)':>16s}")
    for label in [*JUDGE, "all"]:
        print(f"  {label:5s} {seed[label]:13.0%} {ours[label]:6.0%} {distinct.get(label, ''):>16}")

    ours_s, gensim_s = latency(vectors, localizer)
    print(f"\nper-entity warm latency (median): ours {ours_s * 1000:.2f} ms, "
          f"gensim most_similar {gensim_s * 1000:.2f} ms, ratio gensim/ours {gensim_s / ours_s:.2f}x")


if __name__ == "__main__":
    main()
